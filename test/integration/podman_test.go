package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPodmanServiceStartedByTheApp: on a machine with Podman installed and
// nothing serving its socket (no systemd user session, podman.socket not
// enabled: a machine where `make run` has just installed Podman), the app
// starts Podman's API service itself and uses it; the service stays for
// the next command.
func TestPodmanServiceStartedByTheApp(t *testing.T) {
	if _, err := exec.LookPath("podman"); err != nil {
		t.Fatal("podman is missing (scripts/deps.sh test installs it)")
	}
	w := newWorld(t)
	run := filepath.Join(w.home, "run")
	os.MkdirAll(run, 0o700)
	sock := filepath.Join(run, "podman", "podman.sock")
	t.Cleanup(func() { exec.Command("pkill", "-f", "podman system service .*"+sock).Run() })
	w.writeSettings(w.baseSettings() + "engine = \"podman\"\n")
	env := []string{"XDG_RUNTIME_DIR=" + run, "DOCKER_HOST="}
	for i := 0; i < 2; i++ {
		r := w.runEnv(env, "status", "--json")
		eng, _ := r.last()["engine"].(map[string]any)
		if kind, _ := eng["kind"].(string); !strings.HasPrefix(strings.ToLower(kind), "podman") || eng["endpoint"] != "unix://"+sock {
			t.Fatalf("status %d: the engine is %v (exit %d)\n%s\n%s", i+1, eng, r.code, r.stdout, r.stderr)
		}
	}
	if out, _ := exec.Command("pgrep", "-fc", "podman system service .*"+sock).Output(); strings.TrimSpace(string(out)) != "1" {
		t.Errorf("%s Podman services run for the app's socket, want 1", strings.TrimSpace(string(out)))
	}
}
