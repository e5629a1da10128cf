package integration

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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

// TestSelfCheck: the production build's --self-check, as the release
// workflows run it on Windows and macOS, passes here under Xvfb: the
// window shows, the launcher paints, every native hook reports itself, the
// picture of the window is the launcher, and the app exits 0 on its own.
// Beside a running app (which holds the single-instance lock) it fails,
// saying why, with a non-zero exit.
func TestSelfCheck(t *testing.T) {
	w := newWorld(t)
	_, prod := buildGUI(t)
	display := startXvfb(t)
	out := filepath.Join(w.home, "self check")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, prod, "--self-check="+out)
	cmd.Env = append(append([]string{}, w.env...), "DISPLAY="+display)
	said, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("--self-check: %v\n%s", err, said)
	}
	var r struct {
		OK                bool
		WindowShownMS     int64 `json:"window_shown_ms"`
		LauncherPaintedMS int64 `json:"launcher_painted_ms"`
		Hooks             []string
		Screenshot        string
		Failures          []string
	}
	b, err := os.ReadFile(filepath.Join(out, "self-check.json"))
	if err != nil || json.Unmarshal(b, &r) != nil {
		t.Fatalf("the report: %v\n%s", err, b)
	}
	if !r.OK || len(r.Failures) != 0 || r.WindowShownMS < 0 || r.LauncherPaintedMS < r.WindowShownMS {
		t.Errorf("report %s", b)
	}
	for _, hook := range []string{"new windows", "navigation policy", "title", "closing", "context menu", "page loads", "downloads"} {
		if !slices.Contains(r.Hooks, hook) {
			t.Errorf("the %s hook is not reported installed: %v", hook, r.Hooks)
		}
	}
	if out, err := exec.Command("identify", "-format", "%k", r.Screenshot).Output(); err != nil {
		t.Errorf("the picture %s: %v", r.Screenshot, err)
	} else if colors, _ := strconv.Atoi(strings.TrimSpace(string(out))); colors < 20 {
		t.Errorf("the picture %s has %d colours: not the launcher", r.Screenshot, colors)
	}
	keep := filepath.Join(screenshotDir(t), "self-check.png")
	if b, err := os.ReadFile(r.Screenshot); err == nil {
		os.WriteFile(keep, b, 0o644)
	}
	if size, _ := exec.Command("identify", "-format", "%wx%h", r.Screenshot).Output(); !regexp.MustCompile(`^\d{3,4}x\d{3,4}$`).Match(size) {
		t.Errorf("the picture is %s", size)
	}

	// A failing check says why and exits non-zero: here another instance
	// holds the app, as when a person's app is open.
	lock := exec.CommandContext(ctx, prod)
	lock.Env = cmd.Env
	lock.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := lock.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { syscall.Kill(-lock.Process.Pid, syscall.SIGKILL); lock.Wait() }()
	time.Sleep(3 * time.Second)
	again := exec.CommandContext(ctx, prod, "--self-check="+out)
	again.Env = cmd.Env
	if said, err := again.CombinedOutput(); err == nil || !strings.Contains(string(said), "already running") {
		t.Errorf("a self-check beside a running app: %v\n%s", err, said)
	}
}
