package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/session"
	"github.com/neurodesk/neurodeskapp/app/settings"
	"github.com/neurodesk/neurodeskapp/app/webview"
)

func withSession(s *Service) {
	s.session = &session.Info{BaseURL: "http://127.0.0.1:49200", Token: "tok", DataFolder: "/home/ana/neurodesktop-storage"}
}

func TestQuitWithoutSessionOnLauncherCloses(t *testing.T) {
	s, rt := newService(t)
	if s.beforeClose() {
		t.Error("closing without a session was prevented")
	}
	if len(rt.asked) != 0 {
		t.Errorf("asked %v", rt.asked)
	}
}

func TestQuitQuestionIsNativeAndRemembered(t *testing.T) {
	s, rt := newService(t)
	withSession(s)
	rt.answers = []webview.Answer{{Button: 1, Remember: true}} // keep running, remember
	if !s.beforeClose() {
		t.Fatal("with a session and on_quit=ask the window closed unasked")
	}
	eventually(t, "quit", func() bool { return rt.count(&rt.quit) == 1 })
	if len(rt.asked) != 1 || !slices.Contains(rt.asked[0].Buttons, "_Stop and Quit") || rt.asked[0].Remember == "" {
		t.Errorf("question %+v", rt.asked)
	}
	if rt.launcher != 0 || len(rt.navigated) != 0 {
		t.Error("the quit question replaced the page")
	}
	saved, _ := settings.Load(s.cfg.Paths.Settings, settings.Defaults("/x"), timeNow())
	if saved.OnQuit != settings.QuitKeep {
		t.Errorf("remembered %q", saved.OnQuit)
	}
	if s.beforeClose() {
		t.Error("asked again while quitting")
	}
}

func TestQuitCancelledKeepsWindow(t *testing.T) {
	s, rt := newService(t)
	withSession(s)
	rt.answers = []webview.Answer{{Button: 2}}
	s.beforeClose()
	eventually(t, "the question", func() bool { rt.mu.Lock(); defer rt.mu.Unlock(); return len(rt.asked) == 1 })
	eventually(t, "the question to close", func() bool { s.mu.Lock(); defer s.mu.Unlock(); return !s.askingQuit })
	if rt.count(&rt.quit) != 0 {
		t.Error("quit although cancelled")
	}
}

// TestCtrlQOnSessionPageAsks: on a session page a quit always asks, even
// with the choice remembered, and the page may still keep its unsaved work.
func TestCtrlQOnSessionPageAsks(t *testing.T) {
	s, rt := newService(t)
	withSession(s)
	s.snap.Settings.OnQuit = settings.QuitKeep
	s.showPage("http://127.0.0.1:49200/lab?token=tok")
	rt.answers = []webview.Answer{{Button: 1}} // Cancel
	s.beforeClose()
	eventually(t, "the question", func() bool { s.mu.Lock(); defer s.mu.Unlock(); return !s.askingQuit && len(rt.asked) == 1 })
	if rt.count(&rt.quit) != 0 {
		t.Fatal("quit although cancelled")
	}
	rt.pageStays = true // "Stay on page" in the page's own question
	rt.answers = []webview.Answer{{Button: 0}}
	s.beforeClose()
	eventually(t, "the page's question", func() bool { return rt.count(&rt.leaves) == 1 })
	if rt.count(&rt.quit) != 0 {
		t.Fatal("quit although the page kept its unsaved work")
	}
	rt.pageStays = false
	rt.answers = []webview.Answer{{Button: 0}}
	eventually(t, "the question to close", func() bool { s.mu.Lock(); defer s.mu.Unlock(); return !s.askingQuit })
	s.beforeClose()
	eventually(t, "quit", func() bool { return rt.count(&rt.quit) == 1 })
}

func TestStopAsksFirstAndNamesWhatIsKept(t *testing.T) {
	s, rt := newService(t)
	withSession(s)
	if err := s.Stop(); err != nil { // the fake answers Cancel
		t.Fatal(err)
	}
	if s.session == nil {
		t.Fatal("stopped although cancelled")
	}
	q := rt.asked[0]
	if !strings.Contains(q.Detail, "/home/ana/neurodesktop-storage") || !strings.Contains(q.Detail, "neurodesk-home") || !strings.Contains(q.Detail, "Lost") {
		t.Errorf("the question does not say what is kept and lost: %q", q.Detail)
	}
	s.showPage("http://127.0.0.1:49200/lab?token=tok")
	rt.answers = []webview.Answer{{Button: 0}}
	rt.pageStays = true
	s.Stop()
	if rt.leaves != 1 || s.session == nil {
		t.Fatalf("leaves %d; stopped although the page kept its work", rt.leaves)
	}
}

func TestNewWindowRouting(t *testing.T) {
	s, rt := newService(t)
	withSession(s)
	for _, u := range []string{"http://127.0.0.1:49200/neurodesktop", "https://neurodesk.org/docs/", "javascript:alert(1)", "file:///etc/passwd"} {
		s.newWindow(webview.NewWindowRequest{URL: u, UserGesture: true})
	}
	if !slices.Equal(rt.windows, []string{"http://127.0.0.1:49200/neurodesktop"}) || !slices.Equal(rt.browser, []string{"https://neurodesk.org/docs/"}) {
		t.Errorf("inside %v, browser %v", rt.windows, rt.browser)
	}
}

// A page cannot open the system browser without a click or key of the
// person's, nor flood it with one.
func TestSystemBrowserNeedsAGestureAndIsRateLimited(t *testing.T) {
	s, rt := newService(t)
	withSession(s)
	s.newWindow(webview.NewWindowRequest{URL: "https://example.org/popup"})
	if len(rt.browser) != 0 {
		t.Fatalf("opened without a gesture: %v", rt.browser)
	}
	for i := 0; i < 10; i++ {
		s.newWindow(webview.NewWindowRequest{URL: fmt.Sprintf("https://example.org/%d", i), UserGesture: true})
	}
	if len(rt.browser) != browserBurst {
		t.Errorf("a burst of ten opened %d pages in the browser, want %d", len(rt.browser), browserBurst)
	}
	if !s.mayOpenBrowser(time.Now().Add(browserWindow)) {
		t.Error("the budget did not come back after its window")
	}
}

// TestNothingEmittedIntoForeignPages: once a session page is shown no
// event reaches the window; events carry no state even on the launcher.
func TestNothingEmittedIntoForeignPages(t *testing.T) {
	s, rt := newService(t)
	s.pageChanged("wails://wails/")
	s.update(func(sn *Snapshot) { sn.DataError = "x" })
	n := len(rt.events)
	if n == 0 {
		t.Fatal("the launcher was not told")
	}
	b, _ := json.Marshal(rt.events[n-1])
	if strings.Contains(string(b), "settings") || strings.Contains(string(b), "data_folder") {
		t.Errorf("an event carries state: %s", b)
	}
	s.pageChanged("http://evil.example.org/")
	time.Sleep(2 * emitInterval)
	s.update(func(sn *Snapshot) { sn.DataError = "y" })
	time.Sleep(2 * emitInterval)
	if len(rt.events) != n {
		t.Errorf("%d events went to a page we did not serve", len(rt.events)-n)
	}
	s.pageChanged("wails://wails/")
	s.update(func(sn *Snapshot) { sn.DataError = "z" })
	eventually(t, "an event on the launcher", func() bool { rt.mu.Lock(); defer rt.mu.Unlock(); return len(rt.events) > n })
}

func TestWindowTitleFollowsThePage(t *testing.T) {
	s, rt := newService(t)
	s.pageChanged("wails://wails/")
	s.pageChanged("http://127.0.0.1:49200/lab")
	s.titleChanged(true, "JupyterLab")
	s.titleChanged(false, "Neurodesktop") // another window names itself
	s.pageChanged("wails://wails/")
	if !slices.Equal(rt.titles, []string{"Neurodesk", "JupyterLab — Neurodesk", "Neurodesk"}) {
		t.Errorf("titles %q", rt.titles)
	}
}

func TestDownloadsLandInDownloadsUnderNewNames(t *testing.T) {
	s, rt := newService(t)
	dir := s.downloadsDir()
	var got []string
	for _, name := range []string{"results.csv", "results.csv", "../../etc/passwd", ".bashrc", `..\\..\\x.txt`, ""} {
		got = append(got, s.downloadTo(name))
	}
	want := []string{"results.csv", "results (1).csv", "passwd", "download.bashrc", "x.txt", "download"}
	for i, p := range got {
		if filepath.Dir(p) != dir || filepath.Base(p) != want[i] {
			t.Errorf("download %d went to %q, want %s in %s", i, p, want[i], dir)
		}
	}
	s.downloadEnded(webview.Download{URL: "http://127.0.0.1:1/files/results.csv?token=tok", File: got[0]})
	s.downloadEnded(webview.Download{URL: "http://127.0.0.1:1/files/x", File: got[1], Err: "HTTP 404"})
	// A finished download is a confirmation that fades; a failed one stays.
	if len(rt.notices) != 2 || !strings.HasPrefix(rt.notices[0], "Downloaded results.csv to "+dir) || !strings.HasPrefix(rt.notices[1], "[stays] ") || !strings.Contains(rt.notices[1], "failed: HTTP 404") {
		t.Errorf("notices %q", rt.notices)
	}
	if _, err := os.Stat(got[1]); !os.IsNotExist(err) {
		t.Error("a failed download left its empty file")
	}
}

// WebView2 may write a download under a name of its own: the one we
// claimed goes if it is still empty, and the notice names the real file.
func TestDownloadUnderTheWebViewsNameFreesOurs(t *testing.T) {
	s, rt := newService(t)
	claimed := s.downloadTo("data.nii.gz")
	real := filepath.Join(filepath.Dir(claimed), "data (2).nii.gz")
	if err := os.WriteFile(real, []byte("voxels"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.downloadEnded(webview.Download{URL: "http://127.0.0.1:1/files/data.nii.gz", File: real, Claimed: claimed})
	if _, err := os.Stat(claimed); !os.IsNotExist(err) {
		t.Error("the unused empty file stayed in Downloads")
	}
	if len(rt.notices) != 1 || !strings.Contains(rt.notices[0], "Downloaded data (2).nii.gz") {
		t.Errorf("notices %q", rt.notices)
	}
	// A claimed file that has content by now is not ours to remove.
	other := s.downloadTo("keep.txt")
	os.WriteFile(other, []byte("written since"), 0o644)
	s.downloadEnded(webview.Download{URL: "http://127.0.0.1:1/files/keep.txt", File: real, Claimed: other})
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a file with content was removed: %v", err)
	}
}

func TestZoomStepsAndIsRemembered(t *testing.T) {
	s, rt := newService(t)
	s.zoom(1)
	s.zoom(1)
	if rt.zoom != 1.25 {
		t.Errorf("zoom %v after two steps in", rt.zoom)
	}
	if got := s.loadZoom(); got != 1.25 {
		t.Errorf("remembered %v", got)
	}
	for range 20 {
		s.zoom(-1)
	}
	if rt.zoom != 0.5 {
		t.Errorf("zoom %v, want the smallest step", rt.zoom)
	}
	s.zoom(0)
	if rt.zoom != 1 || s.loadZoom() != 1 {
		t.Errorf("actual size: %v", rt.zoom)
	}
}

func TestStartOfflineSavesTheChoice(t *testing.T) {
	s, _ := newService(t)
	err := s.StartOffline() // no engine here: the start itself fails
	if problem.CodeOf(err) != problem.EngineNotRunning {
		t.Errorf("start: %v", err)
	}
	saved, _ := settings.Load(s.cfg.Paths.Settings, settings.Defaults("/x"), timeNow())
	if saved.CVMFSMode != settings.CVMFSOffline || saved.Privileges != settings.PrivilegesNone {
		t.Errorf("saved %q %q", saved.CVMFSMode, saved.Privileges)
	}
}

// TestFailuresKeepTheirCause: a failed start reaches the window with the
// engine's own words in its details, and the app log records code and cause.
func TestFailuresKeepTheirCause(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(prev)
	s, _ := newService(t)
	cause := errors.New("failed to register layer: duplicates of file paths not supported")
	s.onEvent(session.Event{State: session.StateFailed, Err: &problem.Error{Code: problem.ImageNotFound, Message: "Pulling docker.io/vnmd/neurodesktop:2026-07-11 failed", Err: cause}})
	st, _ := s.State()
	if e := st.Session.Error; e == nil || !strings.Contains(e.Detail, "duplicates of file paths") || e.Code != problem.ImageNotFound {
		t.Errorf("the window's error %+v", st.Session.Error)
	}
	if log := buf.String(); !strings.Contains(log, "start failed") || !strings.Contains(log, "image_not_found") || !strings.Contains(log, "duplicates of file paths") {
		t.Errorf("app log: %s", log)
	}
}

// TestRememberingTheQuitChoiceOnAPageEmitsNothing: saving a setting from Go
// while a session page is shown must not count as the launcher being back.
func TestRememberingTheQuitChoiceOnAPageEmitsNothing(t *testing.T) {
	s, rt := newService(t)
	withSession(s)
	s.showPage("http://127.0.0.1:49200/lab?token=tok")
	rt.pageStays = true // the page keeps its work: the app stays
	rt.answers = []webview.Answer{{Button: 1, Remember: true}}
	n := len(rt.events)
	s.beforeClose()
	eventually(t, "the question to close", func() bool { s.mu.Lock(); defer s.mu.Unlock(); return !s.askingQuit && len(rt.asked) == 1 })
	time.Sleep(2 * emitInterval)
	if len(rt.events) != n {
		t.Errorf("%d events went into the session page", len(rt.events)-n)
	}
	if s.snapshot().Settings.OnQuit != settings.QuitKeep {
		t.Error("the choice was not remembered")
	}
}

// A download goes on while the rest of it leaves a reserve free on its
// disk; one that would not is stopped, its part removed, and the notice
// says why.
func TestDownloadsLeaveTheDiskRoom(t *testing.T) {
	s, rt := newService(t)
	free := uint64(downloadReserve + 500<<20)
	s.cfg.FreeBytes = func(string) (uint64, error) { return free, nil }
	small := s.downloadTo("small.csv")
	if !s.downloadRoom(small, 0, 100<<20) || !s.downloadRoom(small, 50<<20, 0) {
		t.Fatal("a download with room to spare was stopped")
	}
	big := s.downloadTo("scan.nii.gz")
	if s.downloadRoom(big, 0, 800<<20) {
		t.Fatal("a download that would eat into the reserve went on")
	}
	os.WriteFile(big, []byte("part of it"), 0o644)
	s.downloadEnded(webview.Download{URL: "http://127.0.0.1:1/files/scan.nii.gz?token=tok", File: big, Err: "Download was cancelled"})
	if _, err := os.Stat(big); err == nil {
		t.Error("the stopped download's part was left in Downloads")
	}
	if n := rt.notices; len(n) != 1 || !strings.Contains(n[0], "scan.nii.gz") || !strings.Contains(n[0], "needs 0.8 GB") || !strings.Contains(n[0], "downloads leave 1.0 GB free") {
		t.Errorf("the notice says %q", n)
	}
	// Without a length: stopped once the disk itself runs low.
	free = downloadReserve - 1
	if s.downloadRoom(small, 900<<20, 0) {
		t.Error("a download of unknown length went on into the reserve")
	}
}
