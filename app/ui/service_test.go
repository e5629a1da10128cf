package ui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/session"
	"github.com/neurodesk/neurodeskapp/app/settings"
	"github.com/neurodesk/neurodeskapp/app/update"
)

type fakeRuntime struct {
	mu       sync.Mutex
	events   []Snapshot
	launcher int
	quit     int
	folder   string
}

func (f *fakeRuntime) Emit(_ string, data any) {
	f.mu.Lock()
	f.events = append(f.events, data.(Snapshot))
	f.mu.Unlock()
}
func (f *fakeRuntime) ChooseFolder(string, string) (string, error) { return f.folder, nil }
func (f *fakeRuntime) OpenBrowser(string)                          {}
func (f *fakeRuntime) Navigate(string)                             {}
func (f *fakeRuntime) ShowLauncher()                               { f.launcher++ }
func (f *fakeRuntime) Raise()                                      {}
func (f *fakeRuntime) Quit()                                       { f.quit++ }

func newService(t *testing.T) (*Service, *fakeRuntime) {
	dir := t.TempDir()
	s := New(Config{Paths: platform.Paths{Settings: filepath.Join(dir, "settings.toml"), CacheDir: filepath.Join(dir, "cache"), StateDir: dir},
		Home: dir, Getenv: func(string) string { return "" }, Version: "test"})
	rt := &fakeRuntime{}
	s.rt = rt
	s.snap.Settings = settings.Defaults(filepath.Join(dir, "data"))
	return s, rt
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
	in := "url http://127.0.0.1:1/lab?token=abc123DEF&x=1 cmd --ServerApp.token=secret-tok end"
	out := Redact(in)
	if strings.Contains(out, "abc123DEF") || strings.Contains(out, "secret-tok") || !strings.Contains(out, "&x=1") {
		t.Errorf("redacted %q", out)
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
	if len(rt.events) == 0 || !rt.events[len(rt.events)-1].Settings.GPU {
		t.Error("no snapshot sent after saving")
	}
}

func TestQuitQuestion(t *testing.T) {
	s, rt := newService(t)
	if s.BeforeClose() {
		t.Error("closing without a session was prevented")
	}
	s.session = &session.Info{BaseURL: "http://127.0.0.1:1"}
	if !s.BeforeClose() || rt.launcher != 1 || !s.snap.QuitPending {
		t.Fatalf("with a session and on_quit=ask the question must show: launcher %d pending %v", rt.launcher, s.snap.QuitPending)
	}
	if err := s.QuitChoice("keep", true); err != nil {
		t.Fatal(err)
	}
	if rt.quit != 1 || s.snap.QuitPending || s.snap.Settings.OnQuit != settings.QuitKeep {
		t.Errorf("keep+remember: quit %d pending %v on_quit %q", rt.quit, s.snap.QuitPending, s.snap.Settings.OnQuit)
	}
	if s.BeforeClose() {
		t.Error("asked again while quitting")
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
