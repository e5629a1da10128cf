package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// insideWorld is a world whose session runs the real Jupyter test image,
// with a stand-in system browser (an xdg-open that records what it is
// asked to open) and its own Downloads folder.
type insideWorld struct {
	*world
	opened    string // the stand-in browser's record
	downloads string
	page      pageRecords
}

func newInsideWorld(t *testing.T) *insideWorld {
	w := newWorld(t)
	img := jupyterImage(t)
	// The app runs as root here, so Jupyter runs as the image's user 1000,
	// who must be able to write the data folder.
	if err := os.MkdirAll(w.data, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chown(w.data, 1000, 1000)
	os.WriteFile(filepath.Join(w.data, "hello.txt"), []byte("hello from the data folder\n"), 0o644)
	w.writeSettings(w.baseSettings() + fmt.Sprintf("channel = \"custom\"\ncustom_image = %q\n", img))
	bin := filepath.Join(w.home, "stand-in-bin")
	os.MkdirAll(bin, 0o755)
	iw := &insideWorld{world: w, opened: filepath.Join(w.home, "browser-opened.txt"), downloads: filepath.Join(w.home, "Downloads"),
		page: pageRecords{t: t, file: filepath.Join(w.data, "received-keys.txt")}}
	script := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> '" + iw.opened + "'; done\n"
	if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	w.env = append(w.env, "PATH="+bin+":"+os.Getenv("PATH"), "XDG_DOWNLOAD_DIR="+iw.downloads)
	return iw
}

func (iw *insideWorld) browserOpened() []string {
	b, _ := os.ReadFile(iw.opened)
	return strings.Fields(string(b))
}

// startSession opens the production window, presses Enter on the launcher
// (Start has the focus) and waits for JupyterLab in the window.
func (iw *insideWorld) startSession() *appWindow {
	a := iw.startWindow()
	a.focus(a.id)
	for i := 0; i < 30 && !iw.containerExists(); i++ {
		a.keys("Return")
		for j := 0; j < 10 && !iw.containerExists(); j++ {
			time.Sleep(300 * time.Millisecond)
		}
	}
	a.waitTitle("JupyterLab — Neurodesk", 90*time.Second)
	iw.page.wait(a, 0, `^/lab loaded$`, 30*time.Second)
	// Where the page's (0, 0) is in the window: click an empty spot and
	// read back where the page saw it.
	n := len(iw.page.lines())
	a.clickWindow(a.id, 900, 600)
	var px, py int
	fmt.Sscanf(strings.TrimPrefix(iw.page.wait(a, n, `^/lab click \d+ \d+$`, 10*time.Second), "/lab click "), "%d %d", &px, &py)
	a.offX, a.offY = 900-px, 600-py
	return a
}

// TestWindowKeysBelongToThePage: in the production window, Ctrl+L, Ctrl+D
// and Ctrl+J reach JupyterLab (a terminal needs them); the window stays on
// the page; copy and paste work with the keyboard.
func TestWindowKeysBelongToThePage(t *testing.T) {
	iw := newInsideWorld(t)
	a := iw.startSession()
	a.shot("window-jupyterlab")
	a.click(300, 350) // into the editor
	n := len(iw.page.lines())
	a.keys("ctrl+l", "ctrl+d", "ctrl+j")
	for _, k := range []string{"ctrl+l", "ctrl+d", "ctrl+j"} {
		iw.page.wait(a, n, `^/lab key `+regexp.QuoteMeta(k)+`$`, 5*time.Second)
	}
	if got := a.title(); got != "JupyterLab — Neurodesk" {
		t.Errorf("after Ctrl+L/D/J the window shows %q", got)
	}
	n = len(iw.page.lines())
	a.typeText("neuro")
	a.keys("ctrl+a", "ctrl+c", "End", "ctrl+v", "Return")
	iw.page.wait(a, n, `^/lab text=neuroneuro$`, 5*time.Second)
}

// TestWindowNewWindowsAndDownloads: outside links a page opens in a new
// window reach the system browser; javascript: and file: are refused; a
// page of the session opens in a window of its own, where the keys belong
// to it too; downloads land in Downloads and the window says so.
func TestWindowNewWindowsAndDownloads(t *testing.T) {
	iw := newInsideWorld(t)
	a := iw.startSession()

	a.click(500, 150) // Docs (target=_blank)
	a.click(200, 150) // window.open of an outside page
	a.click(200, 200) // window.open("javascript:…")
	a.click(500, 200) // file:///etc/passwd, target=_blank
	want := []string{"https://neurodesk.org/docs/?from=blank", "https://example.org/from-window-open?x=1"}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && len(iw.browserOpened()) < len(want) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // anything refused would have arrived by now
	if got := iw.browserOpened(); !slices.Equal(got, want) {
		t.Errorf("the system browser was asked to open %q, want %q", got, want)
	}
	// WebKit itself never lets a web page open a file: address; the app
	// refuses javascript: and says so in its log.
	if log, _ := os.ReadFile(filepath.Join(iw.home, "state", "neurodeskapp", "neurodeskapp.log")); !strings.Contains(string(log), `refused a page's request for a new window" url=javascript:`) {
		t.Errorf("the refusal was not logged:\n%s", log)
	}
	if got := a.title(); got != "JupyterLab — Neurodesk" {
		t.Errorf("the main window shows %q", got)
	}

	// The desktop, opened by the page, in a window of its own.
	n := len(iw.page.lines())
	a.click(200, 100)
	desk := a.waitWindow("Neurodesktop — Neurodesk", 15*time.Second)
	iw.page.wait(a, n, `^/neurodesktop loaded$`, 15*time.Second)
	a.shot("window-desktop")
	a.focus(desk)
	a.clickWindow(desk, 300, 350) // its editor; this window has no menu bar
	n = len(iw.page.lines())
	a.keys("ctrl+l")
	iw.page.wait(a, n, `^/neurodesktop key ctrl\+l$`, 5*time.Second)

	// Downloads.
	a.focus(a.id)
	a.click(900, 100) // <a download> of a file in the data folder
	a.click(900, 150) // a response with Content-Disposition: attachment
	hello := filepath.Join(iw.downloads, "hello.txt")
	results := filepath.Join(iw.downloads, "results.csv")
	waitFile(t, a, hello, "hello from the data folder\n")
	waitFile(t, a, results, "subject,score\n1,42\n")
	time.Sleep(500 * time.Millisecond)
	a.shot("window-downloaded")
}

func waitFile(t *testing.T, a *appWindow, path, content string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var got []byte
	for time.Now().Before(deadline) {
		if got, _ = os.ReadFile(path); string(got) == content {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	a.fatalf("%s holds %q, want %q (folder has %v)", path, got, content, names)
}
