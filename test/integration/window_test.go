package integration

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/neurodesk/neurodeskapp/internal/testenv"
)

var (
	jupyterOnce sync.Once
	jupyterRef  string
	jupyterErr  error
)

// jupyterImage is the test image with a real Jupyter server, built from
// Debian's packages by test/jupyter/build-image.sh (cached by its hash) on
// the machine's Docker, and loaded into the engine under test when that is
// another (make engines).
func jupyterImage(t *testing.T) string {
	t.Helper()
	jupyterOnce.Do(func() {
		cmd := exec.Command(filepath.Join(testenv.ModuleRoot(), "test", "jupyter", "build-image.sh"))
		cmd.Env = withoutDockerHost(os.Environ())
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			jupyterErr = fmt.Errorf("build the Jupyter test image: %v\n%s", err, stderr.String())
			return
		}
		jupyterRef = strings.TrimSpace(string(out))
		if os.Getenv("NEURODESK_TEST_ENGINE") != "" {
			jupyterErr = loadIntoTestEngine(jupyterRef)
		}
	})
	if jupyterErr != nil {
		t.Fatal(jupyterErr)
	}
	return jupyterRef
}

func withoutDockerHost(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(e string) bool { return strings.HasPrefix(e, "DOCKER_HOST=") })
}

// loadIntoTestEngine copies ref from the machine's Docker into the engine
// at DOCKER_HOST (docker save, then the engine API's image load).
func loadIntoTestEngine(ref string) error {
	eng, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return err
	}
	defer eng.Close()
	ctx := context.Background()
	if _, err := eng.ImageInspect(ctx, ref); err == nil {
		return nil // loaded by an earlier run against this engine
	}
	save := exec.Command("docker", "save", ref)
	save.Env = withoutDockerHost(os.Environ())
	tarball, err := save.StdoutPipe()
	if err != nil {
		return err
	}
	if err := save.Start(); err != nil {
		return fmt.Errorf("docker save %s: %w", ref, err)
	}
	resp, err := eng.ImageLoad(ctx, tarball)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if werr := save.Wait(); err == nil {
		err = werr
	}
	if err != nil {
		return fmt.Errorf("load %s into the engine under test: %w", ref, err)
	}
	return nil
}

// appWindow is the production build running in a real window under Xvfb,
// driven with xdotool: real key presses and clicks.
type appWindow struct {
	t       *testing.T
	w       *world
	display string
	env     []string
	id      string // the main window's X id
	log     string
	cmd     *exec.Cmd
	done    chan error
	offX    int // page coordinates + offset = window coordinates
	offY    int
}

func (w *world) startWindow(extraEnv ...string) *appWindow {
	w.t.Helper()
	return w.startWindowWith(nil, extraEnv...)
}

// startWindowWith starts the window with command-line arguments (the
// paths a file manager hands over).
func (w *world) startWindowWith(args []string, extraEnv ...string) *appWindow {
	w.t.Helper()
	_, prod := buildGUI(w.t)
	display := startXvfb(w.t)
	a := &appWindow{t: w.t, w: w, display: display, log: filepath.Join(w.home, "window.log"), done: make(chan error, 1)}
	a.env = append(append(append([]string{}, w.env...), "DISPLAY="+display), extraEnv...)
	a.cmd = exec.Command(prod, args...)
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if w.s.runAs != nil {
		// As the engine's own user (rootless lanes), with a runtime folder of its own.
		run := filepath.Join(w.home, "run")
		os.MkdirAll(run, 0o700)
		os.Chown(run, int(w.s.runAs.Uid), int(w.s.runAs.Gid))
		a.env = append(a.env, "XDG_RUNTIME_DIR="+run)
		a.cmd.SysProcAttr.Credential = w.s.runAs
	}
	a.cmd.Env = a.env
	logf, _ := os.Create(a.log)
	a.cmd.Stdout, a.cmd.Stderr = logf, logf
	if err := a.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	go func() { a.done <- a.cmd.Wait(); logf.Close() }()
	w.t.Cleanup(func() {
		a.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-a.done:
		case <-time.After(10 * time.Second):
		}
		syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
		time.Sleep(200 * time.Millisecond)
	})
	a.id = a.waitWindow("Neurodesk", 30*time.Second)
	return a
}

// close quits the app as logging out does (SIGTERM: a session runs on)
// and waits for it to end.
func (a *appWindow) close() {
	a.t.Helper()
	a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-a.done:
		a.done <- err // for the cleanup, which waits for it too
	case <-time.After(15 * time.Second):
		a.fatalf("the window did not close on SIGTERM")
	}
}

// waitWindow returns the id of the visible window titled title.
func (a *appWindow) waitWindow(title string, timeout time.Duration) string {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if id := a.findWindow(title); id != "" {
			return id
		}
		time.Sleep(100 * time.Millisecond)
	}
	a.fatalf("no window titled %q appeared", title)
	return ""
}

// findWindow returns a visible window titled title that a person would
// call a window (GTK also names small helper windows after the app).
func (a *appWindow) findWindow(title string) string {
	out, _ := xdotool(a.env, "search", "--onlyvisible", "--name", "^"+regexp.QuoteMeta(title)+"$")
	ids := strings.Fields(out)
	for i := len(ids) - 1; i >= 0; i-- {
		geo, err := xdotool(a.env, "getwindowgeometry", ids[i])
		var w, h int
		if i := strings.Index(geo, "Geometry: "); err == nil && i >= 0 {
			fmt.Sscanf(geo[i+len("Geometry: "):], "%dx%d", &w, &h)
		}
		if w >= 300 && h >= 100 {
			return ids[i]
		}
	}
	return ""
}

// title is the main window's title now.
func (a *appWindow) title() string {
	out, _ := xdotool(a.env, "getwindowname", a.id)
	return strings.TrimSpace(out)
}

func (a *appWindow) waitTitle(want string, timeout time.Duration) {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if a.title() == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	a.fatalf("the window's title is %q, want %q", a.title(), want)
}

// focus raises window id and gives it the keyboard (there is no window
// manager under Xvfb: windows stack where they open).
func (a *appWindow) focus(id string) {
	a.t.Helper()
	if _, err := xdotool(a.env, "windowraise", id); err != nil {
		a.fatalf("%v", err)
	}
	// A window that has just appeared may not be viewable yet: X answers
	// BadMatch to focusing it. It is asked again for a few seconds.
	var err error
	for i := 0; i < 20; i++ {
		if _, err = xdotool(a.env, "windowfocus", "--sync", id); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	a.fatalf("%v", err)
}

// keys presses keys (xdotool names, e.g. "ctrl+l") in the focused window.
func (a *appWindow) keys(keys ...string) {
	a.t.Helper()
	for _, k := range keys {
		if _, err := xdotool(a.env, "key", "--clearmodifiers", k); err != nil {
			a.fatalf("%v", err)
		}
		time.Sleep(80 * time.Millisecond)
	}
}

func (a *appWindow) typeText(s string) {
	a.t.Helper()
	if _, err := xdotool(a.env, "type", "--delay", "20", s); err != nil {
		a.fatalf("%v", err)
	}
}

// clickWindow clicks at x, y of window id.
func (a *appWindow) clickWindow(id string, x, y int) {
	a.t.Helper()
	if _, err := xdotool(a.env, "mousemove", "--window", id, fmt.Sprint(x), fmt.Sprint(y), "click", "1"); err != nil {
		a.fatalf("%v", err)
	}
	time.Sleep(100 * time.Millisecond)
}

// doubleClickWindow double-clicks at window coordinates x, y.
func (a *appWindow) doubleClickWindow(id string, x, y int) {
	a.t.Helper()
	if _, err := xdotool(a.env, "mousemove", "--window", id, fmt.Sprint(x), fmt.Sprint(y), "click", "--repeat", "2", "--delay", "80", "1"); err != nil {
		a.fatalf("%v", err)
	}
	time.Sleep(100 * time.Millisecond)
}

// menuItem opens the context menu at page coordinates x, y and clicks its
// item'th entry: GTK opens the menu with its corner at the pointer, one
// entry every 25 pixels (Cut, Copy, Paste in a text field).
func (a *appWindow) menuItem(x, y, item int) {
	a.t.Helper()
	if _, err := xdotool(a.env, "mousemove", "--window", a.id, fmt.Sprint(x+a.offX), fmt.Sprint(y+a.offY), "click", "3"); err != nil {
		a.fatalf("%v", err)
	}
	time.Sleep(400 * time.Millisecond) // the menu opens
	a.shot("window-context-menu")
	if _, err := xdotool(a.env, "mousemove_relative", "40", fmt.Sprint(16+25*item), "click", "1"); err != nil {
		a.fatalf("%v", err)
	}
	time.Sleep(300 * time.Millisecond) // the menu closes
}

// click clicks at page coordinates x, y of the main window's page.
func (a *appWindow) click(x, y int) { a.clickWindow(a.id, x+a.offX, y+a.offY) }

func (a *appWindow) shot(name string) {
	p := filepath.Join(screenshotDir(a.t), name+".png")
	if err := exec.Command("import", "-display", a.display, "-window", "root", p).Run(); err != nil {
		a.t.Logf("screenshot %s: %v", name, err)
	}
}

func (a *appWindow) fatalf(format string, args ...any) {
	a.t.Helper()
	a.shot(strings.ReplaceAll(a.t.Name(), "/", "-") + "-failed")
	b, _ := os.ReadFile(a.log)
	applog, _ := os.ReadFile(filepath.Join(a.w.home, "state", "neurodeskapp", "neurodeskapp.log"))
	a.t.Fatalf(format+"\nstderr:\n%s\napp log:\n%s", append(args, tail(string(b), 20), tail(string(applog), 30))...)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// pageRecords is what the test page recorded (received-keys.txt).
type pageRecords struct {
	t    *testing.T
	file string
}

func (p pageRecords) lines() []string {
	f, err := os.Open(p.file)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// wait returns the first recorded line matching re that was not there
// before (count lines seen before the action).
func (p pageRecords) wait(a *appWindow, after int, re string, timeout time.Duration) string {
	p.t.Helper()
	if l, ok := p.seen(after, re, timeout); ok {
		return l
	}
	a.fatalf("the page did not record %q; it recorded:\n%s", re, strings.Join(p.lines(), "\n"))
	return ""
}

// seen is wait without failing: the line, or false after timeout.
func (p pageRecords) seen(after int, re string, timeout time.Duration) (string, bool) {
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ls := p.lines()
		for _, l := range ls[min(after, len(ls)):] {
			if rx.MatchString(l) {
				return l, true
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", false
}

func (w *world) containerExists() bool {
	_, err := w.docker.ContainerInspect(context.Background(), w.container())
	return err == nil
}
