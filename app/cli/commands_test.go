package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/launcher"
	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/settings"
	"github.com/neurodesk/neurodeskapp/internal/fakeengine"
)

// nowhere is a registry that refuses at once: no lookup leaves the machine.
const nowhere = "127.0.0.1:1/vnmd/neurodesktop"

// cliWorld runs commands in-process against the fake engine, with a
// manifest that names current and a settings file of its own.
type cliWorld struct {
	t    *testing.T
	io   IO
	f    *fakeengine.Engine
	data string
}

func newCLIWorld(t *testing.T, current string, onDisk ...string) *cliWorld {
	manifest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "jupyter_neurodesk_version = %q\n", current)
	}))
	t.Cleanup(manifest.Close)
	home := t.TempDir()
	paths := platform.Paths{Settings: filepath.Join(home, "settings.toml"), CacheDir: filepath.Join(home, "cache"), StateDir: filepath.Join(home, "state")}
	w := &cliWorld{t: t, f: fakeengine.New(), data: filepath.Join(home, "data")}
	st := settings.Defaults(w.data)
	st.ImageRepository, st.MirrorRepository, st.CheckUpdates = nowhere, "", false
	if err := settings.Save(paths.Settings, st); err != nil {
		t.Fatal(err)
	}
	for _, tag := range onDisk {
		w.f.Images[nowhere+":"+tag] = true
	}
	w.f.OnStart = func(c engine.Container) { fakeengine.ServeJupyter(t, c) }
	w.io = IO{Paths: paths, Home: home, Getenv: func(k string) string {
		switch k {
		case "NEURODESK_MANIFEST_URL":
			return manifest.URL
		case "NEURODESK_RELEASES_URL":
			return "http://127.0.0.1:1/releases" // out of reach: the tests' versions are the manifest's
		}
		return ""
	}, Connect: func(context.Context) (launcher.Engine, []engine.Attempt, error) { return w.f, nil, nil }}
	return w
}

// run runs one command and returns its exit code, stdout and stderr.
func (w *cliWorld) run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	io := w.io
	io.Stdout, io.Stderr = &out, &errb
	return Run(context.Background(), args, io), out.String(), errb.String()
}

// records are the JSON lines a command printed.
func records(t *testing.T, stdout string) []map[string]any {
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		recs = append(recs, m)
	}
	return recs
}

// TestStartStatusLogsStop is the CLI's whole session on the fake engine:
// the version on disk runs at once, status shows it, logs print it, stop
// removes it and status then says nothing runs.
func TestStartStatusLogsStop(t *testing.T) {
	w := newCLIWorld(t, "2026-12-01", "2026-07-11")
	code, out, errb := w.run("start", "--json", "--no-open")
	if code != ExitOK {
		t.Fatalf("start: exit %d\n%s\n%s", code, out, errb)
	}
	var ready map[string]any
	for _, r := range records(t, out) {
		if r["state"] == "ready" {
			ready = r
		}
	}
	if !strings.Contains(fmt.Sprint(ready["url"]), "/lab?token=") {
		t.Errorf("no ready record with JupyterLab's address:\n%s", out)
	}
	if !strings.Contains(out, "Version 2026-12-01 is available") {
		t.Errorf("the newer version was not mentioned:\n%s", out)
	}
	if w.f.Called("pull ") || !strings.Contains(out, "2026-07-11") {
		t.Errorf("a start with a version on disk pulled, or did not say which ran: %v\n%s", w.f.Calls, out)
	}
	code, out, _ = w.run("status", "--json")
	st := records(t, out)[0]
	if code != ExitOK || st["running"] != true || st["data_folder"] != w.data {
		t.Errorf("status: exit %d %v", code, st)
	}
	// The desktop at the route the session lists (here RDP, as a 2026-09 image).
	if u := fmt.Sprint(st["desktop_url"]); !strings.Contains(u, "/neurodesktop-rdp/?token=") {
		t.Errorf("status's desktop_url is %q", u)
	}
	w.f.LogText = "Jupyter Server is running\n"
	if code, out, _ = w.run("logs"); code != ExitOK || out != "Jupyter Server is running\n" {
		t.Errorf("logs: exit %d %q", code, out)
	}
	if code, _, _ = w.run("start", "--no-open"); code != ExitOK || len(w.f.Specs) != 1 {
		t.Errorf("a second start did not adopt: exit %d, %d containers made", code, len(w.f.Specs))
	}
	if code, _, errb = w.run("stop"); code != ExitOK || !w.f.Called("remove ") {
		t.Errorf("stop: exit %d %s %v", code, errb, w.f.Calls)
	}
	if code, out, _ = w.run("status"); code != ExitNotRunning || !strings.Contains(out, "not running") {
		t.Errorf("status after stop: exit %d %q", code, out)
	}
	if code, _, errb = w.run("logs"); code != ExitNotRunning || !strings.Contains(errb, "No Neurodesk session") {
		t.Errorf("logs after stop: exit %d %q", code, errb)
	}
}

// TestPullVersionsPrune: pull fetches the current version; versions lists
// what is on disk; prune keeps the newest and says what it would remove.
func TestPullVersionsPrune(t *testing.T) {
	w := newCLIWorld(t, "2026-12-01", "2026-03-01", "2026-07-11")
	if code, out, errb := w.run("pull", "--json"); code != ExitOK || !w.f.Called("pull "+nowhere+":2026-12-01") {
		t.Fatalf("pull: exit %d\n%s\n%s", code, out, errb)
	}
	code, out, errb := w.run("versions", "--json")
	if code != ExitOK || !strings.Contains(out, "2026-03-01") || !strings.Contains(out, "2026-12-01") {
		t.Errorf("versions: exit %d\n%s\n%s", code, out, errb)
	}
	code, out, _ = w.run("prune", "--dry-run", "--json")
	var p struct {
		Removed []struct{ Tag string } `json:"removed"`
		DryRun  bool                   `json:"dry_run"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil || code != ExitOK || !p.DryRun || len(p.Removed) != 2 || w.f.Called("rmi") {
		t.Errorf("dry run: exit %d %+v %v\n%s", code, p, err, out)
	}
	if code, out, _ = w.run("prune"); code != ExitOK || !w.f.Called("rmi "+nowhere+":2026-03-01") || w.f.Called("rmi "+nowhere+":2026-12-01") {
		t.Errorf("prune: exit %d %v\n%s", code, w.f.Calls, out)
	}
}

// TestFailuresHaveTheirCodes: bad flags, bad settings and no engine exit
// with their documented codes, and touch nothing.
func TestFailuresHaveTheirCodes(t *testing.T) {
	w := newCLIWorld(t, "2026-12-01", "2026-07-11")
	if code, _, _ := w.run("start", "--version", "../../etc"); code != ExitSettings {
		t.Errorf("a bad --version: exit %d", code)
	}
	if code, _, _ := w.run("start", "--bogus"); code != ExitUsage {
		t.Errorf("an unknown flag: exit %d", code)
	}
	if code, _, _ := w.run("frobnicate"); code != ExitUsage {
		t.Errorf("an unknown command: exit %d", code)
	}
	w.io.Connect = func(context.Context) (launcher.Engine, []engine.Attempt, error) {
		return nil, nil, &problem.Error{Code: problem.EngineNotRunning, Message: "No container engine is listening", Remedy: "Start Docker."}
	}
	for _, args := range [][]string{{"start", "--json", "--no-open"}, {"stop", "--json"}, {"pull", "--json"}, {"status", "--json"}} {
		code, out, _ := w.run(args...)
		if code != ExitNoEngine || !strings.Contains(out, "Start Docker.") {
			t.Errorf("%v without an engine: exit %d %s", args, code, out)
		}
	}
	if len(w.f.Calls) != 0 {
		t.Errorf("the engine was used: %v", w.f.Calls)
	}
	if code, out, _ := w.run("version", "--json"); code != ExitOK || !strings.Contains(out, "version") {
		t.Errorf("version: exit %d %s", code, out)
	}
}
