package ui

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/session"
)

// desktopCache is the desktop route of one session, asked once.
type desktopCache struct {
	key     string
	desktop session.Desktop
}

// sessionKey tells one session from the next: a new container, job or
// server is asked again.
func sessionKey(i session.Info) string { return i.ContainerID + "|" + i.JobID + "|" + i.BaseURL }

// OpenDesktop shows the Neurodesktop Linux desktop in a window of its own
// (in this window where the platform has no second window).
func (s *Service) OpenDesktop() error {
	if err := s.fromLauncher(); err != nil {
		return err
	}
	return s.openDesktop()
}

// openDesktop is OpenDesktop for the app's own menus and timers, which may act
// while a session page is shown. It opens the route JupyterLab's own tile
// opens, so the person never has two desktops on the same state.
func (s *Service) openDesktop() error {
	info, err := s.current()
	if err != nil {
		return err
	}
	s.runtime().OpenWindow(info.DesktopURL(s.desktopOf(info)))
	return nil
}

// desktopOf is the desktop route the session offers, asked of the session
// once (the answer is kept while it runs; a failed ask is asked again).
func (s *Service) desktopOf(info session.Info) session.Desktop {
	key := sessionKey(info)
	s.mu.Lock()
	cached := s.desktop
	s.mu.Unlock()
	if cached.key == key {
		return cached.desktop
	}
	ctx, cancel := context.WithTimeout(s.bg, 5*time.Second)
	defer cancel()
	d, err := session.FindDesktop(ctx, &http.Client{}, info)
	if err != nil {
		slog.Warn("could not ask the session which desktop it offers; opening the historical route", "error", problem.Redact(err.Error()))
		return d
	}
	s.mu.Lock()
	if s.session != nil && sessionKey(*s.session) == key {
		s.desktop = desktopCache{key: key, desktop: d}
	}
	s.mu.Unlock()
	slog.Info("the session's desktop", "route", d.Path, "title", d.Title)
	return d
}
