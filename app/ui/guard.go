package ui

import (
	"log/slog"
	"strings"
	"time"

	"github.com/neurodesk/neurodeskapp/app/problem"
)

// Only the launcher may call the app, and only the app may show it.
//
// Wails lets a call through when the main view's address is the
// launcher's, and on Linux it reads that address when the message arrives:
// a page that sets location to the launcher's address and posts calls at
// once may be read as the launcher while it is still running. So:
//   - a navigation to the launcher's origin that the app did not start is
//     refused (mayNavigate, from the native hooks where they can refuse);
//   - the app goes back to the launcher through about:blank: by the time
//     the address is the launcher's, the page that was shown has gone;
//   - in production builds, a bound method refuses to act while the window
//     does not show the launcher (fromLauncher). Dev builds serve the
//     launcher to browsers too, which call while the window shows any page.

// fromLauncher refuses a call from the window while it shows another page.
func (s *Service) fromLauncher() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.guardCalls || s.onLauncher {
		return nil
	}
	slog.Warn("refused a call from the window while it does not show the launcher")
	return &problem.Error{Code: problem.Internal, Message: "Only the launcher may ask the app to act"}
}

// guard turns fromLauncher on: once the native hooks report the main
// view's pages, in production builds.
func (s *Service) guard() {
	s.mu.Lock()
	s.guardCalls = !browserLaunchers
	s.mu.Unlock()
}

// showLauncher goes back to our own page: through about:blank where the
// main view's pages are followed (pageChanged continues), else as Wails does.
func (s *Service) showLauncher() {
	s.mu.Lock()
	rt, launcher := s.rt, s.launcherOrigin
	s.hopping = launcher != ""
	s.mu.Unlock()
	if launcher == "" {
		rt.ShowLauncher()
		return
	}
	rt.Navigate("about:blank")
	// Should the view not report about:blank, the person is not left on it.
	time.AfterFunc(hopTimeout, func() { s.hop("about:blank") })
}

// hopTimeout is how long showLauncher waits for about:blank to be shown.
const hopTimeout = 3 * time.Second

// hop is pageChanged's part of showLauncher: about:blank is shown, so the
// page that was there has gone; now the launcher, which the app asked for.
// It reports whether uri was that step.
func (s *Service) hop(uri string) bool {
	s.mu.Lock()
	if uri != "about:blank" || !s.hopping {
		s.mu.Unlock()
		return false
	}
	s.hopping, s.launcherArmed = false, true
	rt, launcher := s.rt, s.launcherOrigin
	s.mu.Unlock()
	rt.Navigate(launcher)
	return true
}

// mayNavigate decides a main-view navigation from from to to: any page may
// go anywhere but to the launcher, which only the launcher itself (a
// reload) and the app may open, and to a file of this computer, which is
// where a file dropped outside a page's drop zone would take the view
// (the launcher or JupyterLab replaced by the file's raw text).
func (s *Service) mayNavigate(to, from string) bool {
	if strings.HasPrefix(strings.ToLower(to), "file:") {
		slog.Info("refused a main-view navigation to a file", "from", redactURL(from))
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.launcherOrigin == "" || !strings.HasPrefix(to, s.launcherOrigin) || strings.HasPrefix(from, s.launcherOrigin) {
		return true
	}
	if s.launcherArmed {
		s.launcherArmed = false
		return true
	}
	slog.Warn("refused a page's navigation to the launcher", "from", redactURL(from))
	return false
}
