package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/neurodesk/neurodeskapp/internal/testenv"
)

// TestWindowOpensNotebooks: notebooks from the system open in the real
// JupyterLab 4 in the production window. One dragged from another program
// onto the launcher asks whether its folder, not mounted before, may be,
// then starts a session with its folder at /data and opens;
// one in the data folder, handed to the running window by a second launch
// with a relative path, opens in the same session; after the window is
// closed (the session runs on), a launch with a notebook on its command
// line adopts the session and opens it. The settings never change.
func TestWindowOpensNotebooks(t *testing.T) {
	iw := newInsideWorld(t)
	iw.realLab()
	settingsBefore, _ := os.ReadFile(iw.settingsPath())
	study := filepath.Join(iw.home, "Studie 1")
	first := writeNotebook(t, iw.world, study, "Analyse ü.ipynb")
	writeNotebook(t, iw.world, study, "Zweite.ipynb")
	writeNotebook(t, iw.world, filepath.Join(iw.data, "p1"), "Dritte.ipynb")

	a := iw.startWindow()
	time.Sleep(2 * time.Second) // the launcher paints
	drag(a, first)
	// Its folder has not been mounted before: the person is asked.
	q := a.waitWindow("Open Analyse ü.ipynb", 20*time.Second)
	a.shot("window-open-asks-for-the-folder")
	if iw.containerExists() {
		t.Error("the folder was mounted before the person agreed")
	}
	a.focus(q)
	a.keys("alt+u") // Use the folder and open
	iw.waitLabOpened(a, "data/Analyse ü.ipynb")
	a.shot("window-opened-dropped-notebook")
	c := iw.inspect()
	if !slices.ContainsFunc(c.Mounts, func(m container.MountPoint) bool { return m.Destination == "/data" && m.Source == study }) {
		t.Errorf("the dropped notebook's folder is not at /data: %+v", c.Mounts)
	}
	id := c.ID
	if !strings.Contains(a.title(), "Analyse ü.ipynb") {
		t.Errorf("the window shows %q, want the notebook", a.title())
	}

	// A second launch, from the data folder's p1 with a relative path.
	_, prod := buildGUI(t)
	second := exec.Command(prod, "Dritte.ipynb")
	second.Dir, second.Env = filepath.Join(iw.data, "p1"), a.env
	if out, err := second.CombinedOutput(); err != nil {
		t.Fatalf("the second launch: %v\n%s", err, out)
	}
	iw.waitLabOpened(a, "neurodesktop-storage/p1/Dritte.ipynb")
	if iw.inspect().ID != id {
		t.Error("a notebook in the data folder restarted the session")
	}

	// Closed (SIGTERM: the session runs on), then launched with a notebook.
	a.close()
	b := iw.startWindowWith([]string{filepath.Join(study, "Zweite.ipynb")})
	iw.waitLabOpened(b, "data/Zweite.ipynb")
	if iw.inspect().ID != id {
		t.Error("the command line's notebook, in the running session's /data, restarted it")
	}
	if after, _ := os.ReadFile(iw.settingsPath()); string(after) != string(settingsBefore) {
		t.Errorf("opening notebooks changed the settings:\n%s\nwas\n%s", after, settingsBefore)
	}
}

// writeNotebook writes a notebook the session's Jupyter may read, with
// its kernel named (JupyterLab starts it, and Jupyter Server lists the
// notebook among its sessions).
func writeNotebook(t *testing.T, w *world, dir, name string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chown(dir, w.s.appUser(), w.s.appUser())
	p := filepath.Join(dir, name)
	nb := `{"cells":[{"cell_type":"markdown","metadata":{},"source":["# ` + name + `"]}],"metadata":{"kernelspec":{"name":"python3","display_name":"Python 3","language":"python"}},"nbformat":4,"nbformat_minor":5}`
	if err := os.WriteFile(p, []byte(nb), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chown(p, w.s.appUser(), w.s.appUser())
	return p
}

// waitLabOpened waits until JupyterLab has the notebook at path (as its
// file browser names it) open with a kernel.
func (iw *insideWorld) waitLabOpened(a *appWindow, path string) {
	iw.t.Helper()
	deadline := time.Now().Add(150 * time.Second)
	for time.Now().Before(deadline) {
		if iw.containerExists() && slices.Contains(iw.labSessionPaths(), path) {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	var open []string
	if iw.containerExists() {
		open = iw.labSessionPaths()
	}
	a.fatalf("JupyterLab did not open %q (open: %q; the window shows %q)", path, open, a.title())
}

// drag drags file from another program (testdata/dragsource.py, in the
// screen's bottom right corner) onto the middle of the window, with the
// mouse as a person does.
func drag(a *appWindow, file string) {
	a.t.Helper()
	src := exec.Command("/usr/bin/python3", filepath.Join(testenv.ModuleRoot(), "test", "integration", "testdata", "dragsource.py"), file)
	src.Env, src.Stderr = a.env, os.Stderr
	if err := src.Start(); err != nil {
		a.fatalf("the drag source: %v", err)
	}
	a.t.Cleanup(func() { src.Process.Kill(); src.Wait() })
	a.waitWindow("drag source", 20*time.Second)
	time.Sleep(500 * time.Millisecond)
	move := func(x, y int) {
		if _, err := xdotool(a.env, "mousemove", fmt.Sprint(x), fmt.Sprint(y)); err != nil {
			a.fatalf("%v", err)
		}
		time.Sleep(60 * time.Millisecond)
	}
	move(1345, 850)
	if _, err := xdotool(a.env, "mousedown", "1"); err != nil {
		a.fatalf("%v", err)
	}
	for i := 0; i <= 20; i++ { // past GTK's drag threshold, then across
		move(1345-i*35, 850-i*22)
	}
	move(640, 400)
	time.Sleep(300 * time.Millisecond)
	if _, err := xdotool(a.env, "mouseup", "1"); err != nil {
		a.fatalf("%v", err)
	}
}
