package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/session"
	"github.com/neurodesk/neurodeskapp/app/settings"
	"github.com/neurodesk/neurodeskapp/app/webview"
	"github.com/neurodesk/neurodeskapp/internal/fakeengine"
)

const testImage = "example.org/neurodesktop:test"

// withEngine is a service connected to a fake engine that has the image and
// serves each started container's Jupyter (unless noJupyter) for its token.
func withEngine(t *testing.T, noJupyter bool) (*Service, *fakeRuntime, *fakeengine.Engine) {
	t.Helper()
	s, rt := newService(t)
	f := fakeengine.New()
	f.Images[testImage] = true
	if !noJupyter {
		f.OnStart = func(c engine.Container) { fakeengine.ServeJupyter(t, c) }
	}
	s.cfg.Connect = func(context.Context) (Engine, []engine.Attempt, error) { return f, nil, nil }
	s.snap.Settings.Channel, s.snap.Settings.CustomImage = settings.ChannelCustom, testImage
	s.connect(context.Background())
	return s, rt, f
}

func (s *Service) sessionState() session.State { return s.snapshot().Session.State }

func TestConnectShowsTheEngine(t *testing.T) {
	s, _, _ := withEngine(t, false)
	e := s.snapshot().Engine
	if e.State != "ok" || e.Kind != "Docker Engine" || e.Endpoint == "" {
		t.Errorf("engine view %+v", e)
	}
	failing, _ := newService(t)
	failing.cfg.Connect = func(context.Context) (Engine, []engine.Attempt, error) {
		return nil, []engine.Attempt{{Endpoint: engine.Endpoint{Host: "unix:///nowhere.sock"}}},
			&problem.Error{Code: problem.EngineNotRunning, Message: "No container engine is listening", Remedy: "Start Docker."}
	}
	snap, _ := failing.Retry()
	if snap.Engine.State != "error" || snap.Engine.Error == nil || snap.Engine.Error.Remedy != "Start Docker." || len(snap.Engine.Tried) != 1 {
		t.Errorf("a missing engine: %+v", snap.Engine)
	}
	if err := failing.Start(); problem.CodeOf(err) != problem.EngineNotRunning {
		t.Errorf("start without an engine: %v", err)
	}
}

// TestStartIsOneSessionAndStopAsks: a double click starts one session; it
// becomes ready with JupyterLab's address; stop asks, then removes it.
func TestStartIsOneSessionAndStopAsks(t *testing.T) {
	s, rt, f := withEngine(t, false)
	first, second := s.Start(), s.Start()
	if first != nil || second == nil {
		t.Fatalf("two starts: %v, %v; want the second refused", first, second)
	}
	eventually(t, "a ready session", func() bool { return s.sessionState() == session.StateReady })
	sv := s.snapshot().Session
	if !strings.Contains(sv.LabURL, "/lab?token=") || sv.Image != testImage {
		t.Errorf("session view %+v", sv)
	}
	creates := 0
	for _, c := range f.Calls {
		if strings.HasPrefix(c, "create neurodeskapp") {
			creates++
		}
	}
	if creates != 1 {
		t.Errorf("%d containers created, want 1: %v", creates, f.Calls)
	}

	// Cancelled in the dialog: nothing stops.
	if err := s.Stop(); err != nil || f.Called("stop ") {
		t.Fatalf("a cancelled stop stopped: %v %v", err, f.Calls)
	}
	rt.answers = []webview.Answer{{Button: 0}}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the start to end", s.startEnded)
	if !f.Called("stop ") || !f.Called("remove ") || s.sessionState() != session.StateIdle {
		t.Errorf("after stop: %v, state %s", f.Calls, s.sessionState())
	}
	if len(rt.asked) != 2 || !strings.Contains(rt.asked[1].Detail, "Kept: your data folder") {
		t.Errorf("questions %+v", rt.asked)
	}
}

// TestCancelLeavesNothingBehind: Cancel while JupyterLab has not answered
// removes the half-started container and returns to idle, not to an error.
func TestCancelLeavesNothingBehind(t *testing.T) {
	s, _, f := withEngine(t, true)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the wait for JupyterLab", func() bool { return s.sessionState() == session.StateWaiting })
	s.Cancel()
	eventually(t, "idle after cancel", func() bool { return s.sessionState() == session.StateIdle })
	eventually(t, "the container removed", func() bool { return f.Called("remove ") })
	if sv := s.snapshot().Session; sv.Error != nil {
		t.Errorf("a cancel shows an error: %+v", sv.Error)
	}
	eventually(t, "the start to end", s.startEnded)
	if err := s.Start(); err != nil {
		t.Errorf("a start after cancel: %v", err)
	}
	s.Cancel()
	eventually(t, "the second start to end", s.startEnded)
}

func (s *Service) startEnded() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cancel == nil
}

// TestFailedStartShowsCauseAndLog: the container exits while starting; the
// window shows the code, message, remedy and the container's last lines.
func TestFailedStartShowsCauseAndLog(t *testing.T) {
	s, _, f := withEngine(t, true)
	f.LogText = "Mounting CVMFS...\ncannot mount /cvmfs\n"
	f.ExitCode = 3
	close(f.Exits)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a failed start", func() bool { return s.sessionState() == session.StateFailed })
	eventually(t, "the start to end", s.startEnded)
	sv := s.snapshot().Session
	if sv.Error == nil || sv.Error.Code != problem.ContainerExited || sv.Error.Remedy == "" {
		t.Fatalf("error view %+v", sv.Error)
	}
	if len(sv.LogTail) == 0 || sv.LogTail[len(sv.LogTail)-1] != "cannot mount /cvmfs" {
		t.Errorf("log tail %q", sv.LogTail)
	}
	// Back: Go puts the failure away, so no later snapshot brings it back.
	if snap, _ := s.DismissFailure(); snap.Session.State != session.StateIdle || s.snapshot().Session.Error != nil {
		t.Errorf("after Back: %+v", snap.Session)
	}
}

// TestInvalidSettingsRefuseAtOnce: nothing reaches the engine.
func TestInvalidSettingsRefuseAtOnce(t *testing.T) {
	s, _, f := withEngine(t, false)
	s.snap.Settings.MemoryGB = 1
	var fe settings.Errors
	if err := s.Start(); !errors.As(err, &fe) || fe[0].Field != "memory_gb" {
		t.Fatalf("start with 1 GB: %v", err)
	}
	if len(f.Calls) != 0 {
		t.Errorf("the engine was used: %v", f.Calls)
	}
}

// TestSharedEngineNote: when somebody else's session holds the usual name,
// Start gives this person their own, and the launcher says why.
func TestSharedEngineNote(t *testing.T) {
	s, _, f := withEngine(t, false)
	f.Containers["theirs"] = engine.Container{ID: "theirs", Name: session.ContainerName, Running: true,
		Labels: map[string]string{session.LabelManaged: "true", session.LabelOwner: "4242", session.LabelOwnerName: "mallory"}}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the session ready", func() bool { return s.sessionState() == session.StateReady })
	if note := s.snapshot().Session.Note; !strings.Contains(note, "Somebody else") || !strings.Contains(note, session.ContainerName+"-") {
		t.Errorf("the launcher says %q", note)
	}
	if f.Called("stop theirs") || f.Called("remove theirs") {
		t.Error("the other person's session was touched")
	}
}
