package session

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/internal/fakeengine"
)

// inside is a container's files as the tools' reader sees them through exec.
type inside struct {
	files map[string]string // path: content ("" for a folder or a mark)
	calls [][]string
}

func (in *inside) Exec(_ context.Context, _ string, cmd []string, limit int) (int, []byte, error) {
	in.calls = append(in.calls, cmd)
	path := cmd[len(cmd)-1]
	content, ok := in.files[path]
	switch {
	case cmd[0] == "test" && ok:
		return 0, nil, nil
	case cmd[0] == "test":
		return 1, nil, nil
	case cmd[0] == "tail" && ok:
		return 0, []byte(content[:min(limit, len(content))]), nil
	case cmd[0] == "tail":
		return 1, []byte("tail: cannot open '" + path + "' for reading: No such file or directory\n"), nil
	}
	return 127, nil, nil
}

// The worker's lines, as neurodesktop's deferred_startup.sh prints them.
const (
	workerStarts  = "[TIMING] wait-for-jupyter started\n[TIMING] wait-for-jupyter completed in 812ms\n[deferred] Starting deferred initialization...\n"
	workerMounts  = workerStarts + "[TIMING] cvmfs-mount started\n[cvmfs-select] Stage 1: probing candidate hosts in parallel...\n"
	workerFailed  = workerMounts + "[cvmfs-select] WARNING: no CVMFS server reachable - writing static fallback config.\n[deferred] Mounting CVMFS\n[deferred] Manual CVMFS mount not successful.\n[TIMING] cvmfs-mount completed in 9000ms\n[deferred] Deferred initialization complete.\n"
	workerOffline = workerStarts + "[TIMING] cvmfs-mount started\n[deferred] No internet connection. Disabling CVMFS.\n[TIMING] cvmfs-mount completed in 3004ms\n[deferred] Deferred initialization complete.\n"
	workerEager   = workerStarts + "[deferred] CVMFS startup mode is 'eager', skipping deferred CVMFS.\n[deferred] Deferred initialization complete.\n"
)

func TestTools(t *testing.T) {
	started := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		env       string
		files     map[string]string
		log       string // the container's own
		sinceNow  time.Duration
		want      ToolsState
		detailHas string
	}{
		{"offline mode is asked, not looked for", "CVMFS_DISABLE=true", nil, "", time.Minute, ToolsOffline, "offline mode"},
		{"the tools' folder is there", "", map[string]string{toolsModules: ""}, "", time.Minute, ToolsReady, ""},
		{"the worker has not begun", "", nil, "", 10 * time.Second, ToolsConnecting, "starting"},
		{"the worker looks for a server", "", map[string]string{deferredLog: workerMounts}, "", time.Minute, ToolsConnecting, "fastest server"},
		{"no server answered", "", map[string]string{deferredLog: workerFailed, deferredDone: ""}, "", time.Minute, ToolsFailed, "no CVMFS server reachable"},
		{"no network", "", map[string]string{deferredLog: workerOffline, deferredDone: ""}, "", time.Minute, ToolsOffline, "no internet connection"},
		{"a restarted container's last run counts", "", map[string]string{deferredLog: workerFailed + workerMounts}, "", time.Minute, ToolsConnecting, "fastest server"},
		{"eager mode that failed says so in the container's log", "NEURODESKTOP_CVMFS_STARTUP_MODE=eager",
			map[string]string{deferredLog: workerEager, deferredDone: ""}, "Mounting CVMFS\nManual CVMFS mount not successful\n", time.Minute, ToolsFailed, "mount failed"},
		{"an image that never says", "", nil, "", 10 * time.Minute, ToolsFailed, "does not say why"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fakeengine.New()
			f.Containers["c1"] = engine.Container{ID: "c1", Running: true, Env: []string{tc.env}, StartedAt: started}
			f.LogText = tc.log
			m := manager(f, t.TempDir())
			m.Now = func() time.Time { return started.Add(tc.sinceNow) }
			in := &inside{files: tc.files}
			got, err := m.Tools(context.Background(), in, Info{ContainerID: "c1"})
			if err != nil || got.State != tc.want || !strings.Contains(got.Detail, tc.detailHas) {
				t.Errorf("got %+v %v, want %s (%q)", got, err, tc.want, tc.detailHas)
			}
			if got.Final() == (tc.want == ToolsConnecting) {
				t.Errorf("%s: final %v", got.State, got.Final())
			}
			for _, c := range in.calls {
				if len(c) == 0 || strings.ContainsAny(strings.Join(c, ""), ";|&$") {
					t.Errorf("ran %q in the container: a command line, not arguments", c)
				}
			}
		})
	}
}
