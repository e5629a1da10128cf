package ui

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/session"
	"github.com/neurodesk/neurodeskapp/app/webview"
)

// engineCheckEvery is how often the watcher looks at the engine.
const engineCheckEvery = 3 * time.Second

// watchEngine keeps the engine line true while the app is open, without
// Retry: an engine that comes up later (Docker Desktop started after the
// app, a daemon restarted) is found, and one that went away is reported
// and Start disabled; a session that ended without the app is reported
// with its log (checkSession). Nothing is done while a start or another
// connection is under way. Two missed pings in a row are needed to call
// an engine gone: one slow answer on a busy machine is not.
func (s *Service) watchEngine(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	missed := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		eng, busy, state, overSSH := s.eng, s.cancel != nil || s.connecting > 0, s.snap.Engine.State, triedSSH(s.snap.Engine.Tried)
		s.mu.Unlock()
		switch {
		case busy:
		case state == "error" && !overSSH:
			s.connectEngine(ctx, true)
		case state == "ok" && eng != nil:
			if err := eng.Ping(ctx); err == nil {
				missed = 0
				s.checkSession(ctx, eng)
			} else if missed++; missed >= 2 {
				missed = 0
				s.engineLost(eng, err)
			}
		}
	}
}

// checkSession notices a session that ended without the app: a failure
// (killed, out of memory, crashed) puts the launcher on its error screen
// with the log; a stop on purpose from elsewhere just makes it ready to
// start again. A person on JupyterLab is told either way.
func (s *Service) checkSession(ctx context.Context, eng Engine) {
	s.mu.Lock()
	info := s.session
	s.mu.Unlock()
	if info == nil || info.Remote {
		return
	}
	ended, err := s.manager(eng).Check(ctx, *info)
	if err != nil || ended == nil {
		return
	}
	s.mu.Lock()
	if s.session == nil || s.session.ContainerID != info.ContainerID { // stopped or replaced meanwhile
		s.mu.Unlock()
		return
	}
	s.session = nil
	onPage, rt := !s.onLauncher, s.rt
	s.mu.Unlock()
	view := FormatError(ended.Err)
	if ended.Stopped {
		// On purpose, from elsewhere: the launcher is ready to start again.
		slog.Info("the session was stopped outside the app", "why", view.Message)
		s.update(func(sn *Snapshot) { sn.Session = SessionView{State: session.StateIdle} })
	} else {
		problem.Log("session ended", ended.Err)
		s.update(func(sn *Snapshot) {
			sn.Session = SessionView{State: session.StateFailed, Title: "Neurodesktop stopped", Error: view, LogTail: ended.LogTail, LogFile: ended.LogFile}
		})
	}
	if onPage && rt != nil {
		where := "Its log is on the launcher (Session ▸ Back to Launcher)."
		if ended.Stopped {
			where = "Session ▸ Back to Launcher starts it again."
		}
		rt.Notice(webview.Notice{Key: noticeSession, Text: view.Message + ". " + where, Stays: true})
	}
}

// The keys of the notices that stay until their condition ends.
const (
	noticeEngine  = "engine"
	noticeSession = "session"
)

// engineLost reports an engine that stopped answering; the watcher looks
// for it again from then on.
func (s *Service) engineLost(eng Engine, err error) {
	problem.Log("engine stopped answering", err)
	s.mu.Lock()
	if s.eng != eng { // replaced meanwhile (Retry)
		s.mu.Unlock()
		return
	}
	s.eng = nil
	onPage, rt := !s.onLauncher, s.rt
	s.mu.Unlock()
	eng.Close()
	view := FormatError(err)
	s.update(func(sn *Snapshot) {
		sn.Engine = EngineView{State: "error", Error: view, Tried: []string{eng.Endpoint().Host}, CanStartDesktop: desktopStartable()}
	})
	if onPage && rt != nil {
		// The session may live on (its port is not the engine's API), but if
		// JupyterLab stops answering too, this is why.
		rt.Notice(webview.Notice{Key: noticeEngine, Text: view.Message + ". If JupyterLab stops responding, this is why.", Stays: true})
	}
}

// forgetGoneSession: the engine answers, and the session we showed as
// running is not on it (the engine restarted without it). A remote
// JupyterLab is not on the engine and stays.
func (s *Service) forgetGoneSession() {
	s.mu.Lock()
	gone := s.session != nil && !s.session.Remote
	if gone {
		s.session = nil
	}
	s.mu.Unlock()
	if gone {
		slog.Info("the running session is no longer on the engine")
		s.update(func(sn *Snapshot) { sn.Session = SessionView{State: session.StateIdle} })
	}
}

// triedSSH: an SSH engine is looked for again only on Retry, since each
// try may ask for a password or passphrase (ssh-askpass) or take ssh's
// whole connect timeout.
func triedSSH(hosts []string) bool {
	return slices.ContainsFunc(hosts, func(h string) bool { return strings.HasPrefix(h, "ssh://") })
}

// sameFailure: a retry that failed as the last attempt did.
func sameFailure(was, now EngineView) bool {
	return was.State == "error" && was.Error != nil && now.Error != nil &&
		was.Error.Code == now.Error.Code && was.Error.Message == now.Error.Message
}
