package integration

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestWindowLinuxDesktop: Session ▸ Open the Linux Desktop in the production
// window opens the desktop at the route a 2026-09 image's own launcher tile
// opens (RDP; only that desktop starts), and a person uses it with real keys
// and the mouse: the terminal on it shows in a screenshot, a command typed
// there writes into the data folder, Ctrl+C, Ctrl+W, Ctrl+L, Ctrl+Q and F11
// reach the program on the desktop (not the app's menu or window), text
// copied on this computer pastes there, the desktop follows the window's
// size, and closing its window leaves JupyterLab and the desktop running.
func TestWindowLinuxDesktop(t *testing.T) {
	iw := newInsideWorld(t)
	iw.realLab()
	os.WriteFile(filepath.Join(iw.data, ".neurodesk-test-desktop"), []byte("2026-09\n"), 0o644)
	a := iw.pressStart()
	a.waitTitle("JupyterLab — Neurodesk", 120*time.Second)

	a.clickWindow(a.id, 31, 12) // the menu bar's Session
	time.Sleep(500 * time.Millisecond)
	a.keys("Down", "Down", "Down", "Return") // Open the Linux Desktop
	desk := a.waitWindow("Neurodesktop RDP — Neurodesk", 30*time.Second)
	// The desktop answers when its terminal is on screen: xterm's white.
	onScreen := func() float64 { return whiteShare(t, a, desk) }
	for i := 0; i < 60 && onScreen() < 0.1; i++ {
		time.Sleep(500 * time.Millisecond)
	}
	a.shot("window-desktop")
	if share := onScreen(); share < 0.1 {
		a.fatalf("the desktop's terminal is not on screen (%.0f%% of the window is white)", share*100)
	}
	if got := iw.desktops(); len(got) != 1 || got[0] != ":1" {
		t.Errorf("desktops running in the session: %q, want only the RDP route's (:1)", got)
	}

	// Typed text reaches the terminal on the desktop; its command writes
	// into the data folder as the app's user.
	a.focus(desk)
	a.clickWindow(desk, 300, 200) // on the terminal, through the desktop
	a.typeText("echo $((6*7)) > ~/neurodesktop-storage/from-desktop.txt\n")
	out := filepath.Join(iw.data, "from-desktop.txt")
	waitFile(t, a, out, "42\n")
	if st, _ := os.Stat(out); int(st.Sys().(*syscall.Stat_t).Uid) != iw.s.appUser() {
		t.Errorf("the desktop's file belongs to uid %d, want %d (the app's user)", st.Sys().(*syscall.Stat_t).Uid, iw.s.appUser())
	}

	// Keys a browser or the app might take: the program on the desktop gets
	// each (raw bytes: ^C ^W ^L ^Q, F11's escape sequence).
	a.typeText("neurodesk-test-keys\n")
	time.Sleep(1500 * time.Millisecond)
	a.keys("ctrl+c", "ctrl+w", "ctrl+l", "ctrl+q", "F11")
	a.typeText(".")
	waitFile(t, a, filepath.Join(iw.data, "desktop-keys.txt"), "03170c111b5b32337e\n")
	if a.findWindow("Neurodesktop RDP — Neurodesk") == "" || a.title() != "JupyterLab — Neurodesk" {
		a.fatalf("after the keys the desktop's window is gone or the main window shows %q", a.title())
	}

	// Text copied on this computer pastes on the desktop (Shift+Insert in
	// the terminal): the page takes the clipboard when its window gets the
	// focus, as Guacamole's client does.
	copyToClipboard(t, a, "echo pasted-from-host > ~/neurodesktop-storage/pasted.txt")
	a.focus(a.id)
	time.Sleep(500 * time.Millisecond)
	a.focus(desk)
	time.Sleep(time.Second)
	a.keys("shift+Insert", "Return")
	if !fileHolds(filepath.Join(iw.data, "pasted.txt"), "pasted-from-host\n", 15*time.Second) {
		a.fatalf("text copied on this computer did not paste on the desktop; its client says:\n%s", iw.desktopClientLog("neurodesktop-rdp"))
	}

	// The desktop follows its window's size.
	if _, err := xdotool(a.env, "windowsize", "--sync", desk, "1000", "640"); err != nil {
		a.fatalf("%v", err)
	}
	var w, h int
	for i := 0; i < 40; i++ {
		w, h = iw.desktopSize(":1")
		if w == 1000 && h == 640 {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // the page draws the new size
	a.shot("window-desktop-resized")
	if w != 1000 || h != 640 {
		t.Errorf("the desktop is %dx%d after its window became 1000x640", w, h)
	}

	// Closing the desktop's window (as its close button does) leaves
	// JupyterLab, and the desktop's programs, running.
	closeWindow(t, a, desk)
	for i := 0; i < 40 && a.findWindow("Neurodesktop RDP — Neurodesk") != ""; i++ {
		time.Sleep(250 * time.Millisecond)
	}
	if a.findWindow("Neurodesktop RDP — Neurodesk") != "" {
		a.fatalf("the desktop's window did not close")
	}
	time.Sleep(time.Second)
	if a.title() != "JupyterLab — Neurodesk" || !iw.containerExists() || len(iw.desktops()) != 1 {
		a.fatalf("after closing the desktop the window shows %q, the session exists: %v, desktops: %q", a.title(), iw.containerExists(), iw.desktops())
	}
}

// desktopClientLog is what the desktop's web client of route did.
func (w *world) desktopClientLog(route string) string {
	out, _ := exec.Command("docker", "exec", w.container(), "cat", "/tmp/neurodesktop-"+route+"-client.log").CombinedOutput()
	return string(out)
}

// fileHolds waits for path to hold content.
func fileHolds(path, content string, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil && string(b) == content {
			return true
		}
	}
	return false
}

// desktops are the X displays of the desktops running in the session.
func (w *world) desktops() []string {
	out, _ := exec.Command("docker", "exec", w.container(), "ps", "-eo", "args=").Output()
	var displays []string
	for _, m := range regexp.MustCompile(`(?m)^Xvnc (:\d+)`).FindAllStringSubmatch(string(out), -1) {
		displays = append(displays, m[1])
	}
	return displays
}

// desktopSize is the size of display's screen inside the session.
func (w *world) desktopSize(display string) (int, int) {
	out, _ := exec.Command("docker", "exec", "-e", "DISPLAY="+display, w.container(), "xdpyinfo").Output()
	m := regexp.MustCompile(`dimensions:\s+(\d+)x(\d+) pixels`).FindStringSubmatch(string(out))
	if m == nil {
		return 0, 0
	}
	x, _ := strconv.Atoi(m[1])
	y, _ := strconv.Atoi(m[2])
	return x, y
}

// whiteShare is the share of window id's pixels that are white.
func whiteShare(t *testing.T, a *appWindow, id string) float64 {
	p := filepath.Join(t.TempDir(), "window.png")
	if err := exec.Command("import", "-display", a.display, "-window", id, p).Run(); err != nil {
		return 0
	}
	out, err := exec.Command("convert", p, "-fuzz", "3%", "-fill", "black", "+opaque", "white", "-colorspace", "gray", "-format", "%[fx:mean]", "info:").Output()
	if err != nil {
		return 0
	}
	v, _ := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	return v
}

// copyToClipboard puts text on the display's clipboard as copying it in
// another program does: a GTK program that owns the clipboard (offering
// the types such programs offer) until the test ends.
func copyToClipboard(t *testing.T, a *appWindow, text string) {
	script := `
import sys, gi
gi.require_version("Gtk", "3.0")
from gi.repository import Gtk, Gdk
Gtk.Clipboard.get(Gdk.SELECTION_CLIPBOARD).set_text(sys.argv[1], -1)
print("copied", flush=True)
Gtk.main()
`
	cmd := exec.Command("/usr/bin/python3", "-c", script, text) // Debian's, with python3-gi
	cmd.Env = a.env
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatalf("copy: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make([]byte, 7)
	if _, err := io.ReadFull(out, line); err != nil || string(line) != "copied\n" {
		t.Fatalf("copy: %q %v", line, err)
	}
}

// closeWindow asks window id to close as a window manager's close button
// does: WM_DELETE_WINDOW (there is no window manager under Xvfb).
func closeWindow(t *testing.T, a *appWindow, id string) {
	script := `
import ctypes, sys
x = ctypes.cdll.LoadLibrary("libX11.so.6")
x.XOpenDisplay.restype = ctypes.c_void_p
x.XInternAtom.restype = ctypes.c_ulong
x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
x.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
x.XFlush.argtypes = [ctypes.c_void_p]
class ClientMessage(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                ("display", ctypes.c_void_p), ("window", ctypes.c_ulong), ("message_type", ctypes.c_ulong),
                ("format", ctypes.c_int), ("data", ctypes.c_long * 5)]
d = x.XOpenDisplay(None)
if not d:
    sys.exit("no display")
w = int(sys.argv[1])
ev = ClientMessage(type=33, send_event=1, display=d, window=w, message_type=x.XInternAtom(d, b"WM_PROTOCOLS", 0), format=32)
ev.data[0] = x.XInternAtom(d, b"WM_DELETE_WINDOW", 0)
ev.data[1] = 0
pad = ctypes.create_string_buffer(ctypes.string_at(ctypes.addressof(ev), ctypes.sizeof(ev)), 192)
x.XSendEvent(d, w, 0, 0, pad)
x.XFlush(d)
`
	cmd := exec.Command("python3", "-c", script, id)
	cmd.Env = a.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("close window %s: %v\n%s", id, err, out)
	}
}

// TestDesktopRouteOfEachImage: for images of each kind, status --json's
// desktop_url is the route their own launcher tile opens, it answers with
// that desktop, and opening it starts that desktop alone.
func TestDesktopRouteOfEachImage(t *testing.T) {
	iw := newInsideWorld(t)
	iw.realLab()
	for _, tc := range []struct{ image, path, title string }{
		{"2026-09", "/neurodesktop-rdp/", "Neurodesktop RDP"},
		{"2026-08", "/neurodesktop-rdp/", "Neurodesktop RDP"},
		{"2026-04", "/neurodesktop/", "Neurodesktop"}, // before the routes of 2026-05-19
	} {
		os.WriteFile(filepath.Join(iw.data, ".neurodesk-test-desktop"), []byte(tc.image+"\n"), 0o644)
		if r := iw.run("start", "--json", "--no-open"); r.code != 0 {
			t.Fatalf("%s: start: exit %d\n%s\n%s", tc.image, r.code, r.stdout, r.stderr)
		}
		r := iw.run("status", "--json")
		u, _ := r.last()["desktop_url"].(string)
		base, token, _ := strings.Cut(u, tc.path+"?token=")
		if !strings.HasPrefix(base, "http://127.0.0.1:") || len(token) != 64 {
			t.Errorf("%s: desktop_url is %q, want the route %s with the token", tc.image, u, tc.path)
		} else if page := get(t, base+tc.path, token); !strings.Contains(page, "<title>"+tc.title+"</title>") {
			t.Errorf("%s: %s does not answer with the desktop %q:\n%.300s", tc.image, tc.path, tc.title, page)
		}
		if got := iw.desktops(); len(got) != 1 {
			t.Errorf("%s: desktops running: %q, want the one opened", tc.image, got)
		}
		if r := iw.run("stop", "--json"); r.code != 0 {
			t.Fatalf("%s: stop: exit %d\n%s", tc.image, r.code, r.stderr)
		}
	}
}

// TestUIErrorScreenHidesTheToken: an image that prints its login address,
// token included, as its last words before it stops (as images before
// NEURODESKTOP_PRINT_ACCESS_URL did, or one of a person's own) shows its
// log on the error screen, in the kept log file and in the diagnostics a
// person copies, with the token hidden in each.
func TestUIErrorScreenHidesTheToken(t *testing.T) {
	iw := newInsideWorld(t)
	iw.realLab()
	os.WriteFile(filepath.Join(iw.data, ".neurodesk-test-exit"), nil, 0o644)
	app := iw.startGUI()
	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS(`#engine-dot.ok`)),
		chromedp.Click(chromedp.CSS("#start")), chromedp.WaitVisible(chromedp.CSS("#error"))); err != nil {
		t.Fatal(err)
	}
	token := regexp.MustCompile(`token=[0-9a-f]{16,}`)
	shown := textOf(ctx, "#error")
	if !strings.Contains(shown, "Open this link in your browser") || !strings.Contains(shown, "token=REDACTED") {
		t.Errorf("the error screen does not show the image's last words, token hidden:\n%s", shown)
	}
	diag, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.go.ui.Service.Diagnostics()`, chromedp.EvalAsValue, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(iw.home, "state", "neurodeskapp", "container-failed-*.log"))
	var kept []byte
	if len(files) > 0 {
		kept, _ = os.ReadFile(files[len(files)-1])
	}
	for where, text := range map[string]string{"the error screen": shown, "the diagnostics": diag, "the kept log": string(kept)} {
		if m := token.FindString(text); m != "" {
			t.Errorf("%s shows a token (%s):\n%s", where, m, text)
		}
	}
	if !strings.Contains(string(kept), "token=REDACTED") {
		t.Errorf("the kept log %v lacks the image's last words:\n%s", files, kept)
	}
	shoot(t, ctx, "error-token-hidden")
}
