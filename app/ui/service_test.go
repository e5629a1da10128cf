package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/session"
	"github.com/neurodesk/neurodeskapp/app/settings"
	"github.com/neurodesk/neurodeskapp/app/update"
	"github.com/neurodesk/neurodeskapp/app/webview"
)

// fakeRuntime records what the service asks of the window system. Ask
// answers with the next scripted answer; Leave calls then unless the page
// "has unsaved work the person keeps".
type fakeRuntime struct {
	mu        sync.Mutex
	events    []any
	launcher  int
	quit      int
	folder    string
	navigated []string
	windows   []string
	browser   []string
	asked     []webview.Question
	answers   []webview.Answer
	pageStays bool
	leaves    int
	titles    []string
	zoom      float64
	notices   []string // "[stays] " first for one that stays until closed
	withdrawn []string // the keys of notices taken back
	forgot    []string // hosts whose data the web view was told to forget
}

func (f *fakeRuntime) Emit(_ string, data any) {
	f.mu.Lock()
	f.events = append(f.events, data)
	f.mu.Unlock()
}
func (f *fakeRuntime) ChooseFolder(string, string) (string, error) { return f.folder, nil }
func (f *fakeRuntime) OpenBrowser(u string)                        { f.record(&f.browser, u) }
func (f *fakeRuntime) Navigate(u string)                           { f.record(&f.navigated, u) }
func (f *fakeRuntime) OpenWindow(u string)                         { f.record(&f.windows, u) }
func (f *fakeRuntime) ShowLauncher()                               { f.mu.Lock(); f.launcher++; f.mu.Unlock() }
func (f *fakeRuntime) Raise()                                      {}
func (f *fakeRuntime) Quit()                                       { f.mu.Lock(); f.quit++; f.mu.Unlock() }
func (f *fakeRuntime) SetTitle(t string)                           { f.record(&f.titles, t) }
func (f *fakeRuntime) PageBackground(bool)                         {}
func (f *fakeRuntime) SetZoom(z float64)                           { f.mu.Lock(); f.zoom = z; f.mu.Unlock() }
func (f *fakeRuntime) Notice(n webview.Notice) {
	switch {
	case n.Text == "":
		f.record(&f.withdrawn, n.Key)
	case n.Stays:
		f.record(&f.notices, "[stays] "+n.Text)
	default:
		f.record(&f.notices, n.Text)
	}
}
func (f *fakeRuntime) Forget(host string) ([]string, error) {
	f.record(&f.forgot, host)
	return []string{host}, nil
}
func (f *fakeRuntime) Leave(then func()) {
	f.mu.Lock()
	f.leaves++
	stays := f.pageStays
	f.mu.Unlock()
	if !stays {
		then()
	}
}
func (f *fakeRuntime) Ask(q webview.Question) (webview.Answer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, q)
	if len(f.answers) == 0 {
		return webview.Answer{Button: q.Cancel}, nil
	}
	a := f.answers[0]
	f.answers = f.answers[1:]
	return a, nil
}
func (f *fakeRuntime) record(list *[]string, s string) {
	f.mu.Lock()
	*list = append(*list, s)
	f.mu.Unlock()
}
func (f *fakeRuntime) count(p *int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *p
}

func newService(t *testing.T) (*Service, *fakeRuntime) {
	dir := t.TempDir()
	s := New(Config{Paths: platform.Paths{Settings: filepath.Join(dir, "settings.toml"), CacheDir: filepath.Join(dir, "cache"), StateDir: dir},
		Home: dir, Getenv: noReleases, Version: "test", DownloadsDir: filepath.Join(dir, "Downloads")})
	rt := &fakeRuntime{}
	s.rt = rt
	s.onLauncher = true
	s.snap.Settings = settings.Defaults(filepath.Join(dir, "data"))
	ctx, cancel := context.WithCancel(context.Background())
	s.bg = ctx
	t.Cleanup(func() { // before the folder goes: starts and refreshes write into it
		cancel()
		s.bgWork.Wait()
	})
	return s, rt
}

// eventually waits for cond, for what the service does in goroutines.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestFormatError(t *testing.T) {
	if FormatError(nil) != nil {
		t.Error("nil error formatted")
	}
	v := FormatError(fmt.Errorf("start: %w", &problem.Error{Code: problem.DiskFull, Message: "Disk full", Remedy: "Free space", Err: errors.New("ENOSPC")}))
	if v.Code != problem.DiskFull || v.Message != "Disk full" || v.Remedy != "Free space" || !strings.Contains(v.Detail, "ENOSPC") {
		t.Errorf("%+v", v)
	}
	v = FormatError(settings.Errors{{Field: "memory_gb", Message: "too much"}})
	if v.Code != problem.InvalidSettings || len(v.Fields) != 1 {
		t.Errorf("%+v", v)
	}
	if v := FormatError(errors.New("boom")); v.Code != problem.Internal {
		t.Errorf("plain error code %s", v.Code)
	}
}

func TestRedact(t *testing.T) {
	for _, in := range []string{
		"url http://127.0.0.1:1/lab?token=SECRET&x=1",
		"cmd --ServerApp.token=SECRET end",
		"env JUPYTER_TOKEN=SECRET", // a container's environment in a log or an inspect
		"Authorization: token SECRET",
		"authorization: Bearer SECRET",
		"next=%2Flab%3Ftoken%3DSECRET%26x%3D1", // a redirect's next= parameter
	} {
		out := problem.Redact(in)
		if strings.Contains(out, "SECRET") || !strings.Contains(out, "REDACTED") {
			t.Errorf("Redact(%q) = %q", in, out)
		}
	}
	if out := problem.Redact("JupyterLab refused the session token&x=1"); out != "JupyterLab refused the session token&x=1" {
		t.Errorf("words about tokens were changed: %q", out)
	}
}

func TestSaveSettingsValidatesFieldByField(t *testing.T) {
	s, rt := newService(t)
	bad := s.snap.Settings
	bad.MemoryGB, bad.CVMFSMode = 1, "fast"
	res, err := s.SaveSettings(bad)
	if err != nil || res.Saved || len(res.Fields) != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	good := s.snap.Settings
	good.GPU = true
	res, err = s.SaveSettings(good)
	if err != nil || !res.Saved || !res.Snapshot.Settings.GPU {
		t.Fatalf("%+v %v", res, err)
	}
	loaded, _ := settings.Load(s.cfg.Paths.Settings, settings.Defaults("/x"), timeNow())
	if !loaded.GPU {
		t.Error("not saved to disk")
	}
	if len(rt.events) == 0 {
		t.Error("the launcher was not told after saving")
	}
}

func TestRecentSessions(t *testing.T) {
	var sn Snapshot
	for i := 0; i < 8; i++ {
		sn.addRecent(session.Info{DataFolder: fmt.Sprintf("/d%d", i%7)})
	}
	sn.addRecent(session.Info{Remote: true, BaseURL: "https://hpc.example.org", Token: "secret"})
	if len(sn.Recent) != 6 || sn.Recent[0].Kind != "remote" || strings.Contains(fmt.Sprint(sn.Recent), "secret") {
		t.Errorf("%+v", sn.Recent)
	}
}

func timeNow() time.Time { return time.Now() }

type fakeUpdater struct{ version string }

func (f fakeUpdater) Check(context.Context, string, update.Install) (update.Release, bool, error) {
	return update.Release{Version: f.version, Notes: "notes"}, true, nil
}
func (f fakeUpdater) Download(context.Context, update.Release, func(int64, int64)) ([]byte, error) {
	return nil, errors.New("not in this test")
}
func (f fakeUpdater) Apply(update.Release, []byte, update.Install) error { return nil }

func TestSkipThisVersionIsRemembered(t *testing.T) {
	s, _ := newService(t)
	s.cfg.Updater = fakeUpdater{"1.2.0"}
	s.checkUpdates(t.Context(), false)
	if st, _ := s.State(); st.Update.State != "available" || st.Update.Release.Version != "1.2.0" {
		t.Fatalf("not offered: %+v", st.Update)
	}
	if err := s.SkipUpdate(); err != nil {
		t.Fatal(err)
	}
	saved, _ := settings.Load(s.cfg.Paths.Settings, settings.Defaults("/x"), timeNow())
	if saved.SkippedUpdate != "1.2.0" {
		t.Fatalf("skip not saved: %q", saved.SkippedUpdate)
	}
	s.checkUpdates(t.Context(), false)
	if st, _ := s.State(); st.Update.State != "idle" {
		t.Errorf("a skipped version was offered again: %+v", st.Update)
	}
	s.checkUpdates(t.Context(), true)
	if st, _ := s.State(); st.Update.State != "available" {
		t.Errorf("a manual check must still show it: %+v", st.Update)
	}
	s.cfg.Updater = fakeUpdater{"1.3.0"}
	s.checkUpdates(t.Context(), false)
	if st, _ := s.State(); st.Update.State != "available" {
		t.Errorf("a newer version than the skipped one was not offered: %+v", st.Update)
	}
}

// A remote engine's data folder is a path on its host: typed in, checked
// only for its form, and no free space is claimed for it.
func TestRemoteDataFolderIsTypedIn(t *testing.T) {
	s, _ := newService(t)
	file := filepath.Join(t.TempDir(), "a file")
	os.WriteFile(file, nil, 0o644)
	onRemote := filepath.ToSlash(file) + "/neurodesk" // no folder can be made here, but there it may exist
	if snap, err := s.SetDataFolder(onRemote); err != nil || snap.Settings.DataFolder == onRemote {
		t.Fatalf("a local engine accepted %s: %+v %v", onRemote, snap.Settings.DataFolder, err)
	}
	s.update(func(sn *Snapshot) { sn.Engine = EngineView{State: "ok", Remote: true} })
	if runtime.GOOS == "windows" {
		onRemote = "/srv/a file/neurodesk" // the engine's host is Linux: C:/... is no path there
	}
	snap, err := s.SetDataFolder("  " + onRemote + " ")
	if err != nil || snap.Settings.DataFolder != onRemote || snap.DataError != "" || snap.DataFree != 0 {
		t.Fatalf("remote: folder %q error %q free %d: %v", snap.Settings.DataFolder, snap.DataError, snap.DataFree, err)
	}
	snap, _ = s.SetDataFolder("relative/path")
	if snap.Settings.DataFolder != onRemote || !strings.Contains(snap.DataError, "absolute") {
		t.Errorf("a relative path: folder %q, error %q", snap.Settings.DataFolder, snap.DataError)
	}
}

// noReleases keeps GitHub's releases out of reach of the tests: a closed port.
func noReleases(k string) string {
	if k == "NEURODESK_RELEASES_URL" {
		return "http://127.0.0.1:1/releases"
	}
	return ""
}
