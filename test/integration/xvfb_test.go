package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/neurodesk/neurodeskapp/internal/testenv"
)

// startXvfb starts a private X server and returns its DISPLAY value.
func startXvfb(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Fatalf("Xvfb is missing (scripts/deps.sh test installs it): %v", err)
	}
	for n := 90; n < 140; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			continue
		}
		cmd := exec.Command("Xvfb", fmt.Sprintf(":%d", n), "-screen", "0", "1400x900x24", "-nolisten", "tcp")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 50; i++ {
			if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
				t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
				return fmt.Sprintf(":%d", n)
			}
			time.Sleep(100 * time.Millisecond)
		}
		cmd.Process.Kill()
		cmd.Wait()
	}
	t.Fatal("no free X display")
	return ""
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
		guiBins.dev = filepath.Join(dir, "neurodeskapp-dev")
		cmd := exec.Command("go", "build", "-tags", "dev,webkit2_41", "-o", guiBins.dev, ".")
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
