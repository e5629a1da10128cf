package session

import "testing"

// The stages of a start as the test image's log (docker-stacks start.sh
// and Neurodesktop's hooks) prints them, in order.
func TestStartupStagesFromTheImagesLog(t *testing.T) {
	log := []string{
		"INFO[2026-12-02 23:12:09] Entered start.sh with args: start.sh jupyter lab --ServerApp.password=",
		"INFO[2026-12-02 23:12:09] Running hooks in: /usr/local/bin/start-notebook.d as uid: 0 gid: 0",
		"INFO[2026-12-02 23:12:09] Update jovyan's UID:GID to 1000:1000",
		"[TIMING] critical-startup started",
		"[INFO] Launching deferred startup worker (CVMFS=lazy, Slurm=lazy)...",
		"[TIMING] critical-startup completed in 2345ms",
		"INFO[2026-12-02 23:12:10] Executing the command: jupyter lab --ServerApp.password= --no-browser",
		"[I 2026-12-02 23:12:14.163 ServerApp] jupyterlab | extension was successfully loaded.",
		"[I 2026-12-02 23:12:14.171 ServerApp] Jupyter Server 2.15.0 is running at:",
	}
	want := []Stage{
		{Text: "Running Neurodesktop's start-up scripts"},
		{Text: "Setting up your user in Neurodesktop"},
		{Text: "Preparing the desktop, the tools and your home folder"},
		{Text: "Neurodesktop's start-up took 2.3 s"},
		{Text: "Starting JupyterLab", Jupyter: true},
		{Text: "Loading JupyterLab's extensions", Jupyter: true},
		{Text: "JupyterLab answers; opening it", Jupyter: true},
	}
	var got []Stage
	for _, line := range log {
		if st, ok := StartupStage(line); ok {
			got = append(got, st)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("stages %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("stage %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
