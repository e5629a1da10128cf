package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestToolsStateFromTheImage: status says where Neurodesk's tools are as
// the image mounts them in the background after JupyterLab answers:
// connecting, then ready; offline without a network; failed with the
// image's reason; and, mounted before JupyterLab when asked (eager), ready
// as soon as the session is.
func TestToolsStateFromTheImage(t *testing.T) {
	iw := newInsideWorld(t)
	iw.realLab()
	base, _ := os.ReadFile(iw.settingsPath())
	tools := func() (string, string) {
		r := iw.run("status", "--json")
		m, _ := r.last()["tools"].(map[string]any)
		return fmt.Sprint(m["state"]), fmt.Sprint(m["detail"])
	}
	for _, tc := range []struct {
		name, cvmfs, settings, first, last, detail string
	}{
		{"mounted in the background", "ready 6", "", "connecting", "ready", ""},
		{"no network", "offline", "", "", "offline", "no internet connection"},
		{"no server answers", "failed 1", "", "", "failed", "no CVMFS server reachable"},
		{"mounted before JupyterLab", "ready 2", "cvmfs_eager = true\n", "ready", "ready", ""},
	} {
		os.WriteFile(filepath.Join(iw.data, ".neurodesk-test-cvmfs"), []byte(tc.cvmfs+"\n"), 0o644)
		iw.writeSettings(string(base) + tc.settings)
		if r := iw.run("start", "--json", "--no-open"); r.code != 0 {
			t.Fatalf("%s: start: exit %d\n%s\n%s", tc.name, r.code, r.stdout, r.stderr)
		}
		state, detail := tools()
		if tc.first != "" && state != tc.first {
			t.Errorf("%s: as JupyterLab is ready the tools are %q (%s), want %q", tc.name, state, detail, tc.first)
		}
		for deadline := time.Now().Add(30 * time.Second); state == "connecting" && time.Now().Before(deadline); {
			time.Sleep(time.Second)
			state, detail = tools()
		}
		if state != tc.last || !strings.Contains(detail, tc.detail) {
			t.Errorf("%s: the tools are %q (%s), want %q (%s)", tc.name, state, detail, tc.last, tc.detail)
		}
		if r := iw.run("stop", "--json"); r.code != 0 {
			t.Fatalf("%s: stop: exit %d\n%s", tc.name, r.code, r.stderr)
		}
	}
}
