package ui

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/session"
	"github.com/neurodesk/neurodeskapp/internal/fakeengine"
)

func watch(t *testing.T, s *Service) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.watchEngine(ctx, 10*time.Millisecond); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// An engine that comes up after the app (Docker Desktop started later) is
// found without Retry, and the line does not flash "looking" meanwhile.
func TestEngineFoundWithoutRetry(t *testing.T) {
	s, _ := newService(t)
	f := fakeengine.New()
	var up atomic.Bool
	var tries atomic.Int32
	s.cfg.Connect = func(context.Context) (Engine, []engine.Attempt, error) {
		tries.Add(1)
		if !up.Load() {
			return nil, nil, &problem.Error{Code: problem.EngineNotRunning, Message: "No container engine is listening"}
		}
		return f, nil, nil
	}
	s.connect(context.Background())
	if st := s.snapshot().Engine.State; st != "error" {
		t.Fatalf("engine %s before it is up", st)
	}
	watch(t, s)
	eventually(t, "retries", func() bool { return tries.Load() >= 4 })
	if seq := s.snapshot().Seq; seq > 3 {
		t.Errorf("the same failure sent %d snapshots: the launcher would re-render every few seconds", seq)
	}
	if s.snapshot().Engine.State != "error" {
		t.Error("a quiet retry showed the engine as looked for")
	}
	up.Store(true)
	eventually(t, "the engine found", func() bool { return s.snapshot().Engine.State == "ok" })
}

// An engine that stops answering is reported (Start disabled), with its
// cause; a single missed ping is not enough; when it answers again the
// launcher is green again, and a session that did not survive is gone.
func TestEngineLostAndBack(t *testing.T) {
	s, rt, f := withEngine(t, false)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a ready session", func() bool { return s.sessionState() == session.StateReady })
	gone := &problem.Error{Code: problem.EngineNotRunning, Message: "The container engine at unix:///fake.sock refused the connection"}
	var down atomic.Bool
	s.cfg.Connect = func(context.Context) (Engine, []engine.Attempt, error) {
		if down.Load() {
			return nil, nil, gone
		}
		return f, nil, nil
	}
	watch(t, s)
	down.Store(true)
	f.Mu.Lock()
	f.PingErr = gone
	f.Mu.Unlock()
	eventually(t, "the engine reported gone", func() bool { return s.snapshot().Engine.State == "error" })
	rt.mu.Lock()
	if len(rt.notices) != 0 {
		t.Errorf("on the launcher the engine line says it, but there were notices too: %q", rt.notices)
	}
	rt.mu.Unlock()
	if e := s.snapshot().Engine.Error; e == nil || e.Message != gone.Message {
		t.Errorf("the launcher says %+v, not the cause", e)
	}
	if err := s.Start(); problem.CodeOf(err) != problem.EngineNotRunning {
		t.Errorf("start with the engine gone: %v", err)
	}
	// It comes back, restarted without our container.
	f.Mu.Lock()
	f.PingErr = nil
	f.Containers = map[string]engine.Container{}
	f.Mu.Unlock()
	down.Store(false)
	eventually(t, "the engine back", func() bool { return s.snapshot().Engine.State == "ok" })
	eventually(t, "the gone session forgotten", func() bool { return s.sessionState() == session.StateIdle })
}

// One slow ping on a busy machine does not call the engine gone.
func TestOneMissedPingIsNotALostEngine(t *testing.T) {
	s, _, f := withEngine(t, false)
	var pings atomic.Int32
	slow := &problem.Error{Code: problem.EngineNotRunning, Message: "did not answer within 1.5s"}
	s.cfg.Connect = func(context.Context) (Engine, []engine.Attempt, error) { return &flakyPing{f, &pings, slow}, nil, nil }
	s.connect(context.Background())
	watch(t, s)
	eventually(t, "several pings", func() bool { return pings.Load() >= 6 })
	if st := s.snapshot().Engine.State; st != "ok" {
		t.Errorf("every other ping missed, and the engine is %s", st)
	}
}

// flakyPing misses every other ping.
type flakyPing struct {
	*fakeengine.Engine
	n   *atomic.Int32
	err error
}

func (p *flakyPing) Ping(context.Context) error {
	if p.n.Add(1)%2 == 0 {
		return p.err
	}
	return nil
}

// An SSH engine is not looked for again by itself: each try could ask
// for a passphrase.
func TestSSHEngineRetriedOnlyOnRetry(t *testing.T) {
	s, _ := newService(t)
	var tries atomic.Int32
	s.cfg.Connect = func(context.Context) (Engine, []engine.Attempt, error) {
		tries.Add(1)
		return nil, []engine.Attempt{{Endpoint: engine.Endpoint{Host: "ssh://ana@lab.example"}}},
			&problem.Error{Code: problem.EngineNotRunning, Message: "The container engine at ssh://ana@lab.example did not answer within 20s"}
	}
	s.connect(context.Background())
	watch(t, s)
	time.Sleep(100 * time.Millisecond) // ten ticks
	if n := tries.Load(); n != 1 {
		t.Errorf("an SSH engine was tried %d times without Retry", n)
	}
}

// On JupyterLab the person hears why it stopped answering.
func TestEngineLostOnASessionPage(t *testing.T) {
	s, rt, f := onJupyterLab(t)
	var back atomic.Bool // the engine answers again
	s.cfg.Connect = func(context.Context) (Engine, []engine.Attempt, error) {
		if back.Load() {
			return f, nil, nil
		}
		return nil, nil, &problem.Error{Code: problem.EngineNotRunning, Message: "gone"}
	}
	f.Mu.Lock()
	f.PingErr = &problem.Error{Code: problem.EngineNotRunning, Message: "The container engine at unix:///fake.sock refused the connection"}
	f.Mu.Unlock()
	watch(t, s)
	// It stays until the engine answers again, then it is taken back.
	eventually(t, "a notice that stays", func() bool {
		rt.mu.Lock()
		defer rt.mu.Unlock()
		return len(rt.notices) == 1 && strings.HasPrefix(rt.notices[0], "[stays] ") && strings.Contains(rt.notices[0], "refused the connection")
	})
	f.Mu.Lock()
	f.PingErr = nil
	f.Mu.Unlock()
	back.Store(true)
	eventually(t, "the notice taken back once the engine answers", func() bool {
		rt.mu.Lock()
		defer rt.mu.Unlock()
		return len(rt.withdrawn) == 1 && rt.withdrawn[0] == noticeEngine
	})
}

// A session that ends without the app (here: out of memory) is reported
// with its cause and log, and the person on JupyterLab is told.
func TestSessionEndedOutsideTheApp(t *testing.T) {
	s, rt, f := onJupyterLab(t)
	f.Mu.Lock()
	f.LogText = "Jupyter is running\nKilled\n"
	for id, c := range f.Containers {
		c.Running, c.Status, c.ExitCode, c.OOMKilled = false, "exited", 137, true
		f.Containers[id] = c
	}
	f.Mu.Unlock()
	watch(t, s)
	eventually(t, "the session reported ended", func() bool { return s.sessionState() == session.StateFailed })
	v := s.snapshot().Session
	if v.Error == nil || !strings.Contains(v.Error.Message, "out of memory") || v.LogFile == "" || len(v.LogTail) == 0 || v.Title != "Neurodesktop stopped" {
		t.Errorf("the launcher shows %+v", v)
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if len(rt.notices) != 1 || !strings.Contains(rt.notices[0], "out of memory") || !strings.HasPrefix(rt.notices[0], "[stays] ") {
		t.Errorf("notices %q (one that stays until read)", rt.notices)
	}
	if _, err := s.current(); err == nil {
		t.Error("the ended session is still the current one")
	}
}

// onJupyterLab is a service whose window shows a ready session's JupyterLab.
func onJupyterLab(t *testing.T) (*Service, *fakeRuntime, *fakeengine.Engine) {
	t.Helper()
	s, rt, f := withEngine(t, false)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a ready session", func() bool { return s.sessionState() == session.StateReady })
	if _, err := s.OpenSession(); err != nil {
		t.Fatal(err)
	}
	return s, rt, f
}

// A stop from elsewhere (`neurodeskapp stop` in a terminal) is not shown
// as a failure: the launcher is ready to start again.
func TestSessionStoppedElsewhereIsNoFailure(t *testing.T) {
	s, rt, f := onJupyterLab(t)
	f.Mu.Lock()
	f.Containers = map[string]engine.Container{}
	f.Mu.Unlock()
	watch(t, s)
	eventually(t, "the session gone", func() bool { return s.sessionState() == session.StateIdle })
	if v := s.snapshot().Session; v.Error != nil {
		t.Errorf("a stop shown as a failure: %+v", v.Error)
	}
	eventually(t, "a notice", func() bool {
		rt.mu.Lock()
		defer rt.mu.Unlock()
		return len(rt.notices) == 1 && strings.Contains(rt.notices[0], "stopped outside the app")
	})
}
