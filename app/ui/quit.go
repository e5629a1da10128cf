package ui

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/neurodesk/neurodeskapp/app/session"
	"github.com/neurodesk/neurodeskapp/app/settings"
	"github.com/neurodesk/neurodeskapp/app/webview"
)

// beforeClose decides whether the window may close now (the close button,
// Quit, Ctrl+Q). Unless a quit was already agreed, it keeps the window
// open and asks natively, so JupyterLab stays loaded underneath; then the
// page itself may ask about unsaved work.
func (s *Service) beforeClose() (prevent bool) {
	s.mu.Lock()
	quitting, asking := s.quitting, s.askingQuit
	if s.onLauncher && !ours(s.session) {
		quitting = true // nothing to ask about
	}
	if !quitting && !asking {
		s.askingQuit = true
	}
	s.mu.Unlock()
	if quitting {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		return false
	}
	if !asking {
		go s.quitFlow()
	}
	return true
}

// quitFlow asks what to do with a running session (or, on a session page,
// whether to quit at all), lets the page ask about unsaved work, and quits.
func (s *Service) quitFlow() {
	defer func() {
		s.mu.Lock()
		s.askingQuit = false
		s.mu.Unlock()
	}()
	s.mu.Lock()
	onQuit, running, onPage, rt := s.snap.Settings.OnQuit, ours(s.session), !s.onLauncher, s.rt
	where, detail := "", "Stop it now, or keep it running in the background? A session kept running opens again the next time you start the app."
	if running && s.session.Cluster != "" {
		where = " on " + s.session.Cluster + " (job " + s.session.JobID + ")"
		detail = "Stop it now (the job ends), or keep it running until its time limit? A job kept running opens again the next time you start the app."
	}
	s.mu.Unlock()
	choice := settings.QuitKeep
	switch {
	case running && onQuit == settings.QuitAsk:
		a, err := rt.Ask(webview.Question{Title: "Quit Neurodesk",
			Message: "Neurodesktop is still running" + where + ".",
			Detail:  detail,
			Buttons: []string{"_Stop and Quit", "_Keep Running and Quit", "_Cancel"},
			Default: 1, Cancel: 2, Remember: "Remember my choice"})
		if err != nil || a.Button == 2 {
			return
		}
		choice = []string{settings.QuitStop, settings.QuitKeep}[a.Button]
		if a.Remember {
			if err := s.changeSettings(func(st *settings.Settings) { st.OnQuit = choice }); err != nil {
				slog.Warn("remember the quit choice", "error", err)
			}
		}
	case onPage:
		// A stray Ctrl+Q on a session page must not close it unasked.
		what := "Neurodesktop keeps running and opens again next time."
		if running && onQuit == settings.QuitStop {
			what = "Neurodesktop will be stopped, as chosen in Settings."
		} else if !running {
			what = "The page you are on will be closed."
		}
		a, err := rt.Ask(webview.Question{Title: "Quit Neurodesk", Message: "Quit Neurodesk?", Detail: what,
			Buttons: []string{"_Quit", "_Cancel"}, Default: 0, Cancel: 1})
		if err != nil || a.Button == 1 {
			return
		}
		choice = onQuit
	default:
		choice = onQuit
	}
	proceed := func() {
		if running && choice == settings.QuitStop {
			if err := s.stop(); err != nil {
				slog.Error("stop before quitting", "error", err)
			}
		}
		s.quit()
	}
	if onPage {
		rt.Leave(proceed) // the page's own question about unsaved work
		return
	}
	proceed()
}

// ours is a session that runs until the app stops it: in a container of
// ours or a cluster job of ours (not another's server).
func ours(i *session.Info) bool { return i != nil && (!i.Remote || i.Cluster != "") }

func (s *Service) quit() {
	s.mu.Lock()
	s.quitting = true
	rt := s.rt
	s.mu.Unlock()
	rt.Quit()
}

// raise brings the window forward; a second launch of the app calls it.
func (s *Service) raise() {
	if rt := s.runtime(); rt != nil {
		rt.Raise()
	}
}

// quitNow quits without asking (SIGTERM, logout); a running session keeps
// running and is adopted on the next launch. Wails hears the same signal and
// starts closing by itself; we only finish the job if it did not, because
// quitting GTK twice crashes.
func (s *Service) quitNow() {
	s.mu.Lock()
	s.quitting = true
	s.mu.Unlock()
	time.AfterFunc(300*time.Millisecond, func() {
		s.mu.Lock()
		closed, rt := s.closed, s.rt
		s.mu.Unlock()
		if !closed && rt != nil {
			rt.Quit()
		}
	})
}

// confirmStop asks before a session is stopped, naming what is kept.
func (s *Service) confirmStop() bool {
	s.mu.Lock()
	data, home, rt := s.snap.Settings.DataFolder, session.NamesFor(s.cfg.Instance).HomeVolume, s.rt
	if s.session != nil && s.session.DataFolder != "" {
		data = s.session.DataFolder
	}
	s.mu.Unlock()
	a, err := rt.Ask(webview.Question{Title: "Stop Neurodesktop",
		Message: "Stop Neurodesktop?",
		Detail: fmt.Sprintf("Kept: your data folder (%s) and your home folder in Neurodesktop (the volume %s).\n"+
			"Lost: unsaved changes in JupyterLab, running notebooks' state, and programs open in the desktop.", data, home),
		Buttons: []string{"_Stop", "_Cancel"}, Default: 1, Cancel: 1})
	return err == nil && a.Button == 0
}
