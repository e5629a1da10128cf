package integration

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// guiApp is the dev build running under Xvfb, serving its frontend and
// bindings on a loopback port for Chromium to drive.
type guiApp struct {
	url     string
	cmd     *exec.Cmd
	display string // the X display of its window
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func (w *world) startGUI(extraEnv ...string) *guiApp {
	w.t.Helper()
	dev, _ := buildGUI(w.t)
	display := startXvfb(w.t)
	addr := freeAddr(w.t)
	args := append(append(slices.Clone(w.guiWrap), dev), "-devserver", addr)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(append(append([]string{}, w.env...), "DISPLAY="+display), extraEnv...)
	logf, _ := os.Create(filepath.Join(w.home, "gui.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, so WebKit's helper processes end with it and
	// stop writing into the test's folders before they are removed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		time.Sleep(200 * time.Millisecond)
		logf.Close()
	})
	for i := 0; i < 150; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return &guiApp{url: "http://" + addr + "/", cmd: cmd, display: display}
		}
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := os.ReadFile(filepath.Join(w.home, "gui.log"))
	w.t.Fatalf("the dev server did not come up at %s:\n%s", addr, b)
	return nil
}

// browser starts Debian's Chromium, headless, driven by chromedp.
func browser(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Fatal("Chromium is missing (scripts/deps.sh test installs it)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1280, 800))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(cancel3)
	return ctx
}

// shoot saves the page at each size and theme.
func shoot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := screenshotDir(t)
	for _, size := range [][2]int64{{1280, 800}, {900, 600}} {
		for _, theme := range []string{"light", "dark"} {
			err := chromedp.Do(ctx, chromedp.EmulateViewport(size[0], size[1]), colorScheme(theme), chromedp.Sleep(150*time.Millisecond))
			var png []byte
			if err == nil {
				png, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
			}
			if err != nil {
				t.Fatalf("screenshot %s: %v", name, err)
			}
			file := filepath.Join(dir, fmt.Sprintf("%s-%s-%dx%d.png", name, theme, size[0], size[1]))
			if err := os.WriteFile(file, png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800), colorScheme("light"))
	t.Logf("screenshots of %s in %s", name, dir)
}

// colorScheme emulates the system's light or dark preference.
func colorScheme(theme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: theme}}})
		return err
	})
}

func textOf(ctx context.Context, sel string) string {
	s, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	return s
}

// TestUIStartToJupyterLab plays the user: the launcher shows the engine,
// they set a data folder, press Start, watch the pull (and reload in the
// middle of it), arrive in JupyterLab, go back and stop.
func TestUIStartToJupyterLab(t *testing.T) {
	w := newWorld(t)
	// A slow registry keeps the pull on screen long enough to look at it.
	w.s.registry.Throttle(3 << 20)
	defer w.s.registry.Throttle(0)
	app := w.startGUI()
	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#engine-dot.ok`))); err != nil {
		t.Fatalf("engine never shown as running: %q", textOf(ctx, "#engine-status"))
	}
	if s := textOf(ctx, "#engine-status"); !strings.Contains(s, "is running") {
		t.Errorf("engine status %q", s)
	}
	shoot(t, ctx, "launcher")

	// Settings: a data folder with spaces and accents, and a bad memory value first.
	data := filepath.Join(w.home, "Meine Daten", "Studie ü")
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#open-settings")),
		chromedp.WaitVisible(chromedp.CSS("#settings-form")),
		chromedp.SetValue(chromedp.CSS("#s-memory_gb"), "1"),
		chromedp.Click(chromedp.CSS("#settings-save")),
		chromedp.WaitVisible(chromedp.CSS(`small[data-for="memory_gb"]:not(:empty)`)),
	)
	if err != nil {
		t.Fatalf("field error not shown: %v", err)
	}
	shoot(t, ctx, "settings")
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#s-memory_gb"), "0"),
		chromedp.SetValue(chromedp.CSS("#s-data_folder"), data),
		chromedp.Click(chromedp.CSS("#settings-save")),
		chromedp.WaitVisible(chromedp.CSS(`#settings-status`)),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Click(chromedp.CSS("#settings-cancel")),
		chromedp.WaitVisible(chromedp.CSS("#launcher")),
	)
	if err != nil {
		t.Fatal(err)
	}
	// In the home folder, shown as ~/… (its whole path is its tooltip).
	if got, want := textOf(ctx, "#data-folder"), "~"+strings.TrimPrefix(data, w.home); got != want {
		t.Errorf("data folder shown %q, want %q", got, want)
	}

	// Start, see progress, reload in the middle, see the same progress.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#start")), chromedp.WaitVisible(chromedp.CSS("#progress"))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#progress-bar[aria-valuenow]`))); err != nil {
		t.Fatalf("no byte progress: %q", textOf(ctx, "#progress-summary"))
	}
	before := textOf(ctx, "#progress-summary")
	percent := func() float64 {
		v, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`Number(document.getElementById("progress-bar").getAttribute("aria-valuenow") || -1)`))
		return v
	}
	beforePct := percent()
	shoot(t, ctx, "progress")
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`))); err != nil {
		t.Fatal(err)
	}
	visible, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.getElementById("progress").hidden`))
	after := textOf(ctx, "#progress-summary")
	// The reloaded page shows the pull where Go has it, not from zero.
	if afterPct := percent(); visible && afterPct >= 0 && afterPct < beforePct {
		t.Errorf("after a reload mid-pull the bar went back from %.0f%% to %.0f%%", beforePct, afterPct)
	}
	if !visible {
		// The pull may have finished during the reload; then we are already past it.
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		if !strings.Contains(loc, "/lab?token=") {
			t.Errorf("after a reload mid-pull the progress screen is gone (at %s)", loc)
		}
	} else if after == "" {
		t.Error("after a reload mid-pull the progress summary is empty")
	}
	t.Logf("progress before reload %q, after %q", before, after)

	// JupyterLab arrives in the page, with the token.
	var loc string
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		loc, _ = chromedp.Run(ctx, chromedp.Location())
		if strings.Contains(loc, "/lab?token=") {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.HasPrefix(loc, "http://127.0.0.1:") || !strings.Contains(loc, "/lab?token=") {
		t.Fatalf("the page did not arrive at JupyterLab: %q", loc)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#standin"))); err != nil {
		t.Fatal(err)
	}
	png, _ := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	os.WriteFile(filepath.Join(screenshotDir(t), "jupyterlab.png"), png, 0o644)

	// Back to the launcher; stop; the container is gone, the files remain.
	if err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS("#running"))); err != nil {
		t.Fatal(err)
	}
	shoot(t, ctx, "running")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#running-log-box summary")), chromedp.Sleep(500*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if log := textOf(ctx, "#running-log"); !strings.Contains(log, "Jupyter Server is running") || strings.Contains(log, "token=") && !strings.Contains(log, "REDACTED") {
		t.Errorf("running session's log %q", log)
	}
	// Stop asks first, natively (in the app's window): answer Stop.
	answered := make(chan error, 1)
	go func() { answered <- answerDialog(app.display, "Stop Neurodesktop", "alt+s") }()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#stop")), chromedp.WaitVisible(chromedp.CSS("#start"))); err != nil {
		t.Fatal(err)
	}
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	if _, err := w.docker.ContainerInspect(context.Background(), w.container()); err == nil {
		t.Error("the container is still there after Stop")
	}
	if n := lines(t, filepath.Join(data, "standin-starts.txt")); n != 1 {
		t.Errorf("data folder has %d start lines after stop, want 1", n)
	}
}

// TestUIEngineUnreachableThenBack: the launcher shows the remedy; it turns
// green by itself once the engine answers (no Retry needed), and says so
// when the engine goes away again.
func TestUIEngineUnreachableThenBack(t *testing.T) {
	w := newWorld(t)
	sock := filepath.Join(w.home, "engine.sock")
	app := w.startGUI("DOCKER_HOST=unix://" + sock)
	ctx := browser(t)
	err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#engine-dot.bad`)), chromedp.WaitVisible(chromedp.CSS("#engine-remedy")))
	if err != nil {
		t.Fatalf("no engine error shown: %v (%q)", err, textOf(ctx, "#engine-status"))
	}
	disabled, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("start").disabled`))
	if !disabled {
		t.Error("Start is enabled without an engine")
	}
	shoot(t, ctx, "engine-missing")

	// The engine comes up: a socket that forwards to the real daemon.
	stop := forwardSocket(t, sock, "/var/run/docker.sock")
	within := func(d time.Duration, sel string) error {
		sctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return chromedp.Do(sctx, chromedp.WaitVisible(chromedp.CSS(sel)))
	}
	if err := within(15*time.Second, `#engine-dot.ok`); err != nil {
		t.Fatalf("the launcher did not find the engine by itself: %q", textOf(ctx, "#engine-status"))
	}
	if disabled, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("start").disabled`)); disabled {
		t.Error("Start stays disabled with the engine back")
	}
	// It goes away (the daemon stopped): the launcher says so.
	stop()
	if err := within(20*time.Second, `#engine-dot.bad`); err != nil {
		t.Fatalf("the launcher still shows a gone engine as running: %q", textOf(ctx, "#engine-status"))
	}
	if !strings.Contains(textOf(ctx, "#engine-status"), sock) {
		t.Errorf("the launcher does not say which engine went away: %q", textOf(ctx, "#engine-status"))
	}
}

// forwardSocket serves a unix socket at path that carries each connection
// to target; stop closes it and every connection it carries, as a daemon
// that stopped would.
func forwardSocket(t *testing.T, path, target string) (stop func()) {
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	keep := func(c net.Conn) { mu.Lock(); conns = append(conns, c); mu.Unlock() }
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			keep(c)
			go func() {
				d, err := net.Dial("unix", target)
				if err != nil {
					c.Close()
					return
				}
				keep(d)
				go func() { io.Copy(d, c); d.Close() }()
				io.Copy(c, d)
				c.Close()
			}()
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			l.Close()
			mu.Lock()
			defer mu.Unlock()
			for _, c := range conns {
				c.Close()
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// TestUIStartFailureShowsLog: the error screen shows what failed, the
// remedy and the container's last lines.
func TestUIStartFailureShowsLog(t *testing.T) {
	w := newWorld(t)
	w.s.registry.Put("vnmd/neurodesktop", w.tag, w.s.failing)
	defer w.s.registry.Put("vnmd/neurodesktop", w.tag, w.s.good)
	app := w.startGUI()
	ctx := browser(t)
	err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS(`#engine-dot.ok`)),
		chromedp.Click(chromedp.CSS("#start")), chromedp.WaitVisible(chromedp.CSS("#error")))
	if err != nil {
		t.Fatal(err)
	}
	if log := textOf(ctx, "#error-log"); !strings.Contains(log, "simulated failure") {
		t.Errorf("error log %q", log)
	}
	if r := textOf(ctx, "#error-remedy"); r == "" {
		t.Error("no remedy shown")
	}
	shoot(t, ctx, "error")
	// Back puts the failure away in Go: a reload shows the launcher, not
	// the error again.
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#error-back")), chromedp.WaitVisible(chromedp.CSS("#launcher")),
		chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#engine-dot.ok`)), chromedp.WaitVisible(chromedp.CSS("#launcher")))
	if err != nil {
		t.Fatalf("back from the error: %v", err)
	}
	if !hidden(ctx, "#error") {
		t.Error("the error screen came back after Back and a reload")
	}
}

// hidden reports whether sel is hidden (by its own attribute).
func hidden(ctx context.Context, sel string) bool {
	h, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector(`+strconv.Quote(sel)+`).hidden`))
	return err == nil && h
}

// TestUISessionEndedOutsideTheApp: the session's container is killed
// behind the app's back; the launcher says so with the exit code and the
// container's log, and the app log records it.
func TestUISessionEndedOutsideTheApp(t *testing.T) {
	w := newWorld(t)
	if r := w.run("start", "--json", "--no-open"); r.code != 0 {
		t.Fatalf("start: %s %s", r.stdout, r.stderr)
	}
	app := w.startGUI()
	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS("#running"))); err != nil {
		t.Fatalf("the running session was not shown: %v", err)
	}
	if err := w.docker.ContainerKill(context.Background(), w.container(), "KILL"); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, chromedp.WaitVisible(chromedp.CSS("#error"))); err != nil {
		t.Fatalf("the launcher did not notice the session ended: %q", textOf(ctx, "body"))
	}
	if msg := textOf(ctx, "#error-message"); !strings.Contains(msg, "exit code 137") {
		t.Errorf("the launcher says %q, not how it ended", msg)
	}
	if title := textOf(ctx, "#error-title"); title != "Neurodesktop stopped" {
		t.Errorf("the error screen is headed %q", title)
	}
	if textOf(ctx, "#error-log") == "" {
		t.Error("no container log shown")
	}
	if w.containerExists() {
		t.Error("the ended container was left behind")
	}
	b, _ := os.ReadFile(filepath.Join(w.home, "state", "neurodeskapp", "neurodeskapp.log"))
	if !strings.Contains(string(b), "session ended") || !strings.Contains(string(b), "container_exited") {
		t.Errorf("the app log does not record it:\n%s", b)
	}
	shoot(t, ctx, "session-ended")
}
