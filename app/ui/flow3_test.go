package ui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/neurodesk/neurodeskapp/app/update"
	"github.com/neurodesk/neurodeskapp/app/webview"
)

// recordingUpdater offers version; its download fails with downloadErr.
type recordingUpdater struct {
	version     string
	downloadErr error
	mu          sync.Mutex
	applied     []string
}

func (u *recordingUpdater) Check(context.Context, string, update.Install) (update.Release, bool, error) {
	return update.Release{Version: u.version, Size: 10}, u.version != "", nil
}
func (u *recordingUpdater) Download(_ context.Context, r update.Release, progress func(int64, int64)) ([]byte, error) {
	progress(5, 10)
	if u.downloadErr != nil {
		return nil, u.downloadErr
	}
	progress(10, 10)
	return []byte("verified"), nil
}
func (u *recordingUpdater) Apply(r update.Release, _ []byte, _ update.Install) error {
	u.mu.Lock()
	u.applied = append(u.applied, r.Version)
	u.mu.Unlock()
	return nil
}

// TestUpdateNowKeepsTheRunningVersionOnFailure: a download that fails
// (unverified, cut off) shows why and replaces nothing; one that verifies
// is applied and asks for a restart.
func TestUpdateNowKeepsTheRunningVersionOnFailure(t *testing.T) {
	s, _ := newService(t)
	if err := s.UpdateNow(); err == nil {
		t.Error("an update with none on offer was accepted")
	}
	u := &recordingUpdater{version: "3.1.0", downloadErr: errors.New("checksum mismatch for neurodeskapp-3.1.0-linux-amd64.tar.gz")}
	s.cfg.Updater = u
	if err := s.CheckForUpdates(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the update offered", func() bool { return s.snapshot().Update.State == "available" })
	if err := s.UpdateNow(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the failure shown", func() bool { return s.snapshot().Update.State == "error" })
	if e := s.snapshot().Update.Error; e == nil || e.Detail == "" {
		t.Errorf("the failure lost its cause: %+v", e)
	}
	if len(u.applied) != 0 {
		t.Errorf("applied %v after a failed download", u.applied)
	}
	u.downloadErr = nil
	if err := s.UpdateNow(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a restart asked for", func() bool { return s.snapshot().Update.State == "restart" })
	if len(u.applied) != 1 || u.applied[0] != "3.1.0" {
		t.Errorf("applied %v", u.applied)
	}
	if err := s.LaterUpdate(); err != nil || s.snapshot().Update.State != "idle" {
		t.Errorf("later: %v %+v", err, s.snapshot().Update)
	}
	none := &recordingUpdater{}
	s.cfg.Updater = none
	s.CheckForUpdates()
	eventually(t, "up to date said", func() bool { return s.snapshot().Update.State == "none" })
}

// TestRestartIntoVersionAsksThenStartsAgain: with a session running, the
// same question as Stop comes first; agreed, one container goes and a new
// one comes.
func TestRestartIntoVersionAsksThenStartsAgain(t *testing.T) {
	s, rt, f := withEngine(t, false)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a ready session", func() bool { return s.snapshot().Session.State == "ready" })
	eventually(t, "the start to end", s.startEnded)
	if err := s.RestartIntoVersion(); err != nil || f.Called("stop ") {
		t.Fatalf("a cancelled restart: %v %v", err, f.Calls)
	}
	rt.answers = []webview.Answer{{Button: 0}}
	if err := s.RestartIntoVersion(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new session ready", func() bool { return s.snapshot().Session.State == "ready" })
	eventually(t, "the start to end", s.startEnded)
	creates := 0
	for _, c := range f.Calls {
		if len(c) > 7 && c[:7] == "create " {
			creates++
		}
	}
	if !f.Called("stop ") || creates != 2 {
		t.Errorf("calls %v", f.Calls)
	}
}

// TestStableStartRunsTheVersionOnDisk: on the stable channel a start runs
// the version on disk at once (the newer one only offered), and the menu's
// "Open JupyterLab" goes to it.
func TestStableStartRunsTheVersionOnDisk(t *testing.T) {
	s, rt, f := startedService(t, "2026-12-01", "2026-07-11")
	eventually(t, "the engine", func() bool { return s.snapshot().Engine.State == "ok" })
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a ready session", func() bool { return s.snapshot().Session.State == "ready" })
	eventually(t, "the start to end", s.startEnded)
	if got := s.snapshot().Session.Image; got != nowhere+":2026-07-11" || f.Called("pull ") {
		t.Errorf("ran %q, calls %v", got, f.Calls)
	}
	s.openSessionPage()
	if len(rt.navigated) != 1 || !containsAll(rt.navigated[0], "/lab?token=") {
		t.Errorf("navigated %v", rt.navigated)
	}
	s.openSessionPage() // from a session page: the page is asked first
	if rt.count(&rt.leaves) != 1 {
		t.Errorf("leaving a session page did not ask it first (%d)", rt.leaves)
	}
	if d, _ := s.DefaultSettings(); d.DataFolder == "" || d.Channel != "stable" {
		t.Errorf("defaults %+v", d)
	}
}

// TestQuitNowQuitsOnceWithoutAsking: a signal quits without questions, and
// only when Wails did not close the window by itself.
func TestQuitNowQuitsOnceWithoutAsking(t *testing.T) {
	s, rt := newService(t)
	s.quitNow()
	eventually(t, "the quit", func() bool { return rt.count(&rt.quit) == 1 })
	s2, rt2 := newService(t)
	s2.mu.Lock()
	s2.closed = true
	s2.mu.Unlock()
	s2.quitNow()
	s2.raise()
	time.Sleep(500 * time.Millisecond) // past quitNow's grace: nothing may happen
	if rt2.count(&rt2.quit) != 0 {
		t.Error("quit twice: Wails had already closed the window")
	}
	if len(rt.asked)+len(rt2.asked) != 0 {
		t.Error("a signal's quit asked a question")
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
