package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestProductionBuildSmoke: `make build`, run it under Xvfb, a window
// appears and is not blank, and it exits cleanly on SIGTERM.
func TestProductionBuildSmoke(t *testing.T) {
	w := newWorld(t)
	_, prod := buildGUI(t)
	display := startXvfb(t)
	cmd := exec.Command(prod)
	cmd.Env = append(append([]string{}, w.env...), "DISPLAY="+display)
	logPath := filepath.Join(w.home, "prod.log")
	logf, _ := os.Create(logPath)
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // WebKit's helpers, if any outlived the app
		time.Sleep(200 * time.Millisecond)
	}()
	shot := filepath.Join(screenshotDir(t), "production-window.png")
	var colors int
	for i := 0; i < 60 && colors < 20; i++ { // up to 15 s for the first paint
		time.Sleep(250 * time.Millisecond)
		os.Remove(shot)
		if exec.Command("import", "-display", display, "-window", "root", shot).Run() != nil {
			continue
		}
		out, err := exec.Command("identify", "-format", "%k", shot).Output()
		if err == nil {
			colors, _ = strconv.Atoi(strings.TrimSpace(string(out)))
		}
	}
	if colors < 20 {
		b, _ := os.ReadFile(logPath)
		t.Fatalf("the window looks blank (%d colours) in %s\n%s", colors, shot, b)
	}
	t.Logf("production window: %d colours, screenshot %s", colors, shot)
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			b, _ := os.ReadFile(logPath)
			t.Errorf("exit after SIGTERM: %v\n%s", err, b)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("did not exit within 10 s of SIGTERM")
	}
}
