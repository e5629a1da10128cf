package integration

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
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
	// Jupyter must be able to write the data folder: it runs as the app's
	// user, or as the image's 1000 when the app runs as root.
	if err := os.MkdirAll(w.data, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chown(w.data, w.s.appUser(), w.s.appUser())
	os.WriteFile(filepath.Join(w.data, "hello.txt"), []byte("hello from the data folder\n"), 0o644)
	// These tests are of the web view's own mechanics: the image's test
	// page, whose every key and click they can read, stands in for /lab
	// (the real JupyterLab 4 is TestWindowJupyterLab4's).
	os.WriteFile(filepath.Join(w.data, ".neurodesk-test-lab-page"), nil, 0o644)
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

// realLab makes the session show the real JupyterLab 4 at /lab, not the
// test page.
func (iw *insideWorld) realLab() {
	os.Remove(filepath.Join(iw.data, ".neurodesk-test-lab-page"))
}

// pressStart opens the production window and presses Enter on the
// launcher (Start has the focus) until the session's container exists.
func (iw *insideWorld) pressStart() *appWindow {
	a := iw.startWindow()
	a.focus(a.id)
	for i := 0; i < 30 && !iw.containerExists(); i++ {
		a.keys("Return")
		for j := 0; j < 10 && !iw.containerExists(); j++ {
			time.Sleep(300 * time.Millisecond)
		}
	}
	return a
}

func (iw *insideWorld) browserOpened() []string {
	b, _ := os.ReadFile(iw.opened)
	return strings.Fields(string(b))
}

// startSession opens the production window, presses Enter on the launcher
// (Start has the focus) and waits for JupyterLab in the window.
func (iw *insideWorld) startSession() *appWindow {
	a := iw.pressStart()
	a.waitTitle("JupyterLab — Neurodesk", 90*time.Second)
	iw.page.wait(a, 0, `^/lab loaded$`, 30*time.Second)
	// Where the page's (0, 0) is in the window: click an empty spot and
	// read back where the page saw it. A window just mapped under a busy
	// X server may miss the first click; this is calibration, not a check.
	n := len(iw.page.lines())
	a.clickWindow(a.id, 900, 600)
	line, ok := iw.page.seen(n, `^/lab click \d+ \d+$`, 5*time.Second)
	for i := 0; i < 2 && !ok; i++ {
		a.clickWindow(a.id, 900, 600)
		line, ok = iw.page.seen(n, `^/lab click \d+ \d+$`, 5*time.Second)
	}
	if !ok {
		line = iw.page.wait(a, n, `^/lab click \d+ \d+$`, 0)
	}
	var px, py int
	fmt.Sscanf(strings.TrimPrefix(line, "/lab click "), "%d %d", &px, &py)
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
		iw.page.wait(a, n, `^/lab key `+regexp.QuoteMeta(k)+`$`, 15*time.Second)
	}
	if got := a.title(); got != "JupyterLab — Neurodesk" {
		t.Errorf("after Ctrl+L/D/J the window shows %q", got)
	}
	n = len(iw.page.lines())
	a.typeText("neuro")
	a.keys("ctrl+a", "ctrl+c", "End", "ctrl+v")
	iw.page.wait(a, n, `^/lab text="neuroneuro"$`, 15*time.Second)

	// And with the right-click menu: select all, Copy, then Paste at the end.
	n = len(iw.page.lines())
	a.keys("ctrl+a")
	a.menuItem(60, 312, 1)  // on the selected text: Copy
	a.keys("End")           // no selection, the caret at the end
	a.menuItem(400, 312, 2) // past the end of the line, where the caret stays: Paste
	iw.page.wait(a, n, `^/lab text="neuroneuroneuroneuro"$`, 15*time.Second)
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
	if log := iw.appLog(); !strings.Contains(log, `refused a page's request for a new window" url=javascript:`) {
		t.Errorf("the refusal was not logged:\n%s", log)
	}
	if got := a.title(); got != "JupyterLab — Neurodesk" {
		t.Errorf("the main window shows %q", got)
	}

	// A page of the session, opened by the page, in a window of its own.
	n := len(iw.page.lines())
	a.click(200, 100)
	desk := a.waitWindow("Session page — Neurodesk", 30*time.Second)
	iw.page.wait(a, n, `^/neurodesk-test/window/ loaded$`, 15*time.Second)
	a.shot("window-session-page")
	a.focus(desk)
	a.clickWindow(desk, 300, 350) // its editor; this window has no menu bar
	n = len(iw.page.lines())
	a.keys("ctrl+l")
	iw.page.wait(a, n, `^/neurodesk-test/window/ key ctrl\+l$`, 15*time.Second)

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

	// The notice's Show in Folder, and Help → Show App Log Folder, reach
	// the system's opener with the folders (Wails' own opener drops file:).
	opened := len(iw.browserOpened())
	openedNext := func(want string) {
		t.Helper()
		for i := 0; i < 50 && len(iw.browserOpened()) == opened; i++ {
			time.Sleep(200 * time.Millisecond)
		}
		got := iw.browserOpened()
		if len(got) != opened+1 || got[opened] != want {
			a.fatalf("the opener was asked for %q, want %q", got[opened:], want)
		}
		opened++
	}
	a.clickWindow(a.id, 1157, 774) // Show in Folder, at the notice's right
	openedNext("file://" + (&url.URL{Path: iw.downloads}).EscapedPath())
	a.clickWindow(a.id, 138, 12) // the menu bar's Help
	time.Sleep(500 * time.Millisecond)
	a.keys("Down", "Down", "Return")
	openedNext("file://" + (&url.URL{Path: filepath.Join(iw.home, "state", "neurodeskapp")}).EscapedPath())
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

// TestWindowUploadZoomAndUnsavedWork: the page's file chooser is the
// native one and the upload reaches Jupyter; zoom keys zoom and are
// remembered; quitting asks natively with JupyterLab still loaded, and a
// page with unsaved work can keep the app from closing.
func TestWindowUploadZoomAndUnsavedWork(t *testing.T) {
	iw := newInsideWorld(t)
	src := filepath.Join(iw.home, "scan notes ü.txt")
	os.WriteFile(src, []byte("T1w looks fine\n"), 0o644)
	a := iw.startSession()

	// Upload through the native file chooser.
	n := len(iw.page.lines())
	a.click(130, 260) // "Choose File"
	chooser := ""
	for deadline := time.Now().Add(15 * time.Second); chooser == "" && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		out, _ := xdotool(a.env, "search", "--onlyvisible", "--name", ".")
		for _, id := range strings.Fields(out) {
			name, _ := xdotool(a.env, "getwindowname", id)
			if name = strings.TrimSpace(name); id != a.id && name != "" && !strings.Contains(name, "Neurodesk") {
				chooser = id
			}
		}
	}
	if chooser == "" {
		a.fatalf("no file chooser opened")
	}
	a.shot("window-file-chooser")
	a.focus(chooser)
	a.keys("ctrl+l")
	a.typeText(src)
	time.Sleep(700 * time.Millisecond) // the location entry's completion settles
	a.keys("Return")
	for i := 0; i < 20 && a.findWindow(strings.TrimSpace(mustName(a, chooser))) != ""; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if a.findWindow(strings.TrimSpace(mustName(a, chooser))) != "" {
		a.keys("alt+o") // Open
	}
	iw.page.wait(a, n, `^/lab uploaded scan notes ü\.txt$`, 30*time.Second)
	if b, err := os.ReadFile(filepath.Join(iw.data, "uploaded-scan notes ü.txt")); err != nil || string(b) != "T1w looks fine\n" {
		t.Errorf("the uploaded file in the data folder holds %q (%v)", b, err)
	}

	// Zoom.
	a.focus(a.id)
	a.keys("ctrl+equal", "ctrl+equal")
	zoomFile := filepath.Join(iw.home, "config", "neurodeskapp", "zoom")
	waitFile(t, a, zoomFile, "1.25")
	time.Sleep(500 * time.Millisecond) // the repaint
	a.shot("window-zoomed")
	n = len(iw.page.lines())
	a.clickWindow(a.id, 900, 600)
	var px, py int
	fmt.Sscanf(strings.TrimPrefix(iw.page.wait(a, n, `^/lab click \d+ \d+$`, 15*time.Second), "/lab click "), "%d %d", &px, &py)
	if want := int(float64(900-a.offX) / 1.25); px < want-3 || px > want+3 {
		t.Errorf("at 125%% a click at page x %d landed at %d, want about %d", 900-a.offX, px, want)
	}
	a.keys("ctrl+0")
	waitFile(t, a, zoomFile, "1.00")

	// Unsaved work: Ctrl+Q asks natively, the page stays; after "Keep
	// Running and Quit" the page's own question keeps it open.
	a.click(480, 260) // "Unsaved changes"
	a.click(300, 350) // and a keystroke: WebKit asks only for pages a person used
	a.typeText("draft")
	a.keys("ctrl+q")
	q := a.waitWindow("Quit Neurodesk", 10*time.Second)
	a.shot("window-quit-question")
	if got := a.title(); got != "JupyterLab — Neurodesk" {
		t.Errorf("under the quit question the window shows %q", got)
	}
	a.focus(q)
	a.keys("alt+k") // Keep Running and Quit
	time.Sleep(1500 * time.Millisecond)
	a.shot("window-unsaved-question")
	select {
	case err := <-a.done:
		t.Fatalf("the app quit although the page has unsaved work (%v)", err)
	default:
	}
	a.keys("Escape") // stay on the page
	time.Sleep(500 * time.Millisecond)
	if got := a.title(); got != "JupyterLab — Neurodesk" {
		t.Errorf("after staying the window shows %q", got)
	}
	select {
	case err := <-a.done:
		t.Fatalf("the app quit although the person stayed (%v)", err)
	default:
	}

	// Quit again, and leave: the app quits, the session keeps running.
	a.focus(a.id)
	a.keys("ctrl+q")
	a.focus(a.waitWindow("Quit Neurodesk", 10*time.Second))
	a.keys("alt+k")
	time.Sleep(time.Second)
	a.focus(a.id)
	a.keys("Tab", "Return") // from "Stay on Page" to "Leave Page"
	select {
	case err := <-a.done:
		if err != nil {
			t.Errorf("the app's exit: %v", err)
		}
	case <-time.After(15 * time.Second):
		a.fatalf("the app did not quit after the page was left")
	}
	if c := iw.inspect(); !c.State.Running {
		t.Error("Keep Running and Quit stopped the session")
	}
}

func mustName(a *appWindow, id string) string {
	out, _ := xdotool(a.env, "getwindowname", id)
	return out
}

// TestWindowEngineLostWhileOnJupyterLab: the engine's API goes away while
// JupyterLab is shown. The person stays on JupyterLab, a notice says why it
// may stop answering, and when the engine is back the session (which lived
// on) is still the app's.
func TestWindowEngineLostWhileOnJupyterLab(t *testing.T) {
	iw := newInsideWorld(t)
	sock := filepath.Join(iw.home, "engine.sock")
	stop := forwardSocket(t, sock, "/var/run/docker.sock")
	iw.env = append(iw.env, "DOCKER_HOST=unix://"+sock)
	a := iw.startSession()
	appLog := filepath.Join(iw.home, "state", "neurodeskapp", "neurodeskapp.log")
	logSays := func(what string, timeout time.Duration) bool {
		for deadline := time.Now().Add(timeout); ; time.Sleep(200 * time.Millisecond) {
			if b, _ := os.ReadFile(appLog); strings.Contains(string(b), what) {
				return true
			}
			if time.Now().After(deadline) {
				return false
			}
		}
	}
	stop()
	if !logSays("engine stopped answering", 20*time.Second) {
		a.fatalf("the app did not notice that the engine went away")
	}
	time.Sleep(500 * time.Millisecond) // the notice is drawn
	a.shot("window-engine-lost")
	if got := a.title(); got != "JupyterLab — Neurodesk" {
		t.Errorf("the engine went away and the window shows %q, not JupyterLab", got)
	}
	// JupyterLab itself lives on: the page still takes keys.
	a.click(300, 350)
	n := len(iw.page.lines())
	a.keys("ctrl+l")
	iw.page.wait(a, n, `^/lab key ctrl\+l$`, 15*time.Second)

	forwardSocket(t, sock, "/var/run/docker.sock")
	if !logSays("the container engine answers again", 20*time.Second) {
		a.fatalf("the app did not notice that the engine is back")
	}
	time.Sleep(500 * time.Millisecond) // the notice, which stayed until now, is taken back
	a.shot("window-engine-back")
	if logSays("no longer on the engine", 0) {
		t.Error("the session, still running, was forgotten when the engine came back")
	}
	if !iw.containerExists() {
		t.Error("the session's container is gone")
	}
}

// TestWindowPageCannotReachTheLauncher: a page that sends the window to
// the launcher's address (and frames it) while posting calls to the app's
// bindings reaches nothing: the window stays on the page, no call acts,
// and the app's own way back (Session → Back to Launcher) still works.
func TestWindowPageCannotReachTheLauncher(t *testing.T) {
	iw := newInsideWorld(t)
	a := iw.startSession()
	n := len(iw.page.lines())
	a.click(900, 260) // Reach into the launcher
	iw.page.wait(a, n, `^/lab reaching into the launcher$`, 15*time.Second)
	time.Sleep(4 * time.Second) // the page's three seconds of calls, and then some
	if got := a.title(); got != "JupyterLab — Neurodesk" {
		a.fatalf("after the page reached for the launcher the window shows %q", got)
	}
	if opened := iw.browserOpened(); len(opened) != 0 {
		t.Errorf("a page's posted call opened the system browser: %q", opened)
	}
	if !iw.containerExists() {
		t.Error("the session went away")
	}
	if log := iw.appLog(); !strings.Contains(log, "refused a page's navigation to the launcher") {
		t.Errorf("the app log does not say it refused the navigation:\n%s", log)
	}
	a.shot("window-page-reached-for-launcher")

	// Session → Back to Launcher: through about:blank, to a launcher that works.
	a.clickWindow(a.id, 31, 12)
	time.Sleep(500 * time.Millisecond)
	a.keys("Down", "Return")
	a.waitTitle("Neurodesk", 20*time.Second)
	time.Sleep(2 * time.Second) // its first snapshot
	a.shot("window-back-to-launcher")
	// Open JupyterLab has the focus: Enter is a call to the app, answered.
	a.keys("Return")
	a.waitTitle("JupyterLab — Neurodesk", 20*time.Second)
	if log := iw.appLog(); strings.Contains(log, "refused a call from the window") {
		t.Errorf("the launcher's own calls were refused after the way back:\n%s", log)
	}
}

// TestWindowDownloadLeavesTheDiskRoom: a download that would leave the
// disk of Downloads with less than its reserve free is stopped at its
// start, its part removed, and the window and the log say why.
func TestWindowDownloadLeavesTheDiskRoom(t *testing.T) {
	iw := newInsideWorld(t)
	// Downloads on a small disk of its own: 1.15 GB, of which 1 GB is kept free.
	os.MkdirAll(iw.downloads, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1100m", "tmpfs", iw.downloads).CombinedOutput(); err != nil {
		t.Fatalf("mount a small disk for Downloads: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", iw.downloads).Run() })
	// 200 MiB of zeros (sparse): more than that disk can spare.
	if f, err := os.Create(filepath.Join(iw.data, "big.bin")); err != nil || f.Truncate(200<<20) != nil {
		t.Fatal(err)
	} else {
		f.Close()
	}
	a := iw.startSession()
	a.click(900, 310) // Download big.bin
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(iw.appLog(), "download failed") {
		time.Sleep(200 * time.Millisecond)
	}
	log := iw.appLog()
	if !regexp.MustCompile(`download failed".*error="it needs 0\.2 GB; the disk of .* has 1\.2 GB free, and downloads leave 1\.0 GB free"`).MatchString(log) {
		a.fatalf("the stopped download is not reported with its reason:\n%s", log)
	}
	time.Sleep(500 * time.Millisecond)
	a.shot("window-download-no-room")
	entries, _ := os.ReadDir(iw.downloads)
	for _, e := range entries {
		if info, _ := e.Info(); strings.HasPrefix(e.Name(), "big") || info.Size() > 0 {
			t.Errorf("Downloads holds %s (%d bytes) after the download was stopped", e.Name(), info.Size())
		}
	}
}
