package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/neurodesk/neurodeskapp/internal/testenv"
)

// startXvfb starts a private X server for this test and returns DISPLAY.
func startXvfb(t *testing.T) string {
	t.Helper()
	display, stop, err := testenv.Xvfb(90)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return display
}

var (
	guiOnce sync.Once
	guiBins struct{ dev, prod string }
	guiErr  error
)

// buildGUI builds the app with -tags dev (frontend and bindings served on a
// loopback port) and the production build, once per test binary.
func buildGUI(t *testing.T) (dev, prod string) {
	t.Helper()
	guiOnce.Do(func() {
		dir, err := os.MkdirTemp("", "neurodeskapp-gui-")
		if err != nil {
			guiErr = err
			return
		}
		os.Chmod(dir, 0o755) // the rootless lanes run the window as their engine's user
		guiBins.dev = filepath.Join(dir, "neurodeskapp-dev")
		// A release's version, so that updates are checked (development
		// builds never update themselves).
		cmd := exec.Command("go", "build", "-tags", "dev,webkit2_41", "-ldflags", "-X github.com/neurodesk/neurodeskapp/app/buildinfo.Version=1.0.0", "-o", guiBins.dev, ".")
		cmd.Dir = testenv.ModuleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			guiErr = fmt.Errorf("build dev app: %v\n%s", err, out)
			return
		}
		// make build, into our own folder: make package may be building the default one.
		guiBins.prod = filepath.Join(dir, "neurodeskapp")
		cmd = exec.Command("make", "build", "BIN="+guiBins.prod)
		cmd.Dir = testenv.ModuleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			guiErr = fmt.Errorf("make build: %v\n%s", err, out)
		}
	})
	if guiErr != nil {
		t.Fatal(guiErr)
	}
	return guiBins.dev, guiBins.prod
}

// screenshotDir is where screenshots go, for a person to look at.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("NEURODESK_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(testenv.ModuleRoot(), "test-output", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// answerDialog waits for a window titled title on display, focuses it and
// presses keys (xdotool's syntax, e.g. "alt+s"): a person answering.
func answerDialog(display, title, keys string) error {
	env := append(os.Environ(), "DISPLAY="+display)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		out, err := xdotool(env, "search", "--onlyvisible", "--name", "^"+regexp.QuoteMeta(title)+"$")
		if ids := strings.Fields(out); err == nil && len(ids) > 0 {
			id := ids[len(ids)-1]
			if _, err := xdotool(env, "windowfocus", "--sync", id); err != nil {
				time.Sleep(100 * time.Millisecond) // just mapped, not viewable yet: ask again
				continue
			}
			time.Sleep(200 * time.Millisecond) // the dialog takes its focus
			_, err := xdotool(env, "key", "--clearmodifiers", keys)
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("no window titled %q appeared", title)
}

func xdotool(env []string, args ...string) (string, error) {
	cmd := exec.Command("xdotool", args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("xdotool %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}
