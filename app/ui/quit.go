package ui

import (
	"time"

	"github.com/neurodesk/neurodeskapp/app/settings"
)

// BeforeClose decides whether the window may close now. With a session of
// ours running it follows the user's on_quit choice; "ask" shows the
// launcher's question and keeps the window open until QuitChoice.
func (s *Service) BeforeClose() (prevent bool) {
	s.mu.Lock()
	quitting, onQuit := s.quitting, s.snap.Settings.OnQuit
	s.mu.Unlock()
	if quitting || !s.Running() || onQuit == settings.QuitKeep {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		return false
	}
	switch onQuit {
	case settings.QuitStop:
		go s.stopAndQuit()
		return true
	}
	s.update(func(sn *Snapshot) { sn.QuitPending = true })
	s.rt.ShowLauncher()
	return true
}

// QuitChoice answers the quit question: "stop", "keep" or "cancel";
// remember saves it as the on_quit setting.
func (s *Service) QuitChoice(choice string, remember bool) error {
	s.update(func(sn *Snapshot) { sn.QuitPending = false })
	if choice == "cancel" {
		return nil
	}
	if remember {
		st, _ := s.State()
		st.Settings.OnQuit = choice
		if _, err := s.SaveSettings(st.Settings); err != nil {
			return err
		}
	}
	if choice == settings.QuitStop {
		go s.stopAndQuit()
		return nil
	}
	s.quit()
	return nil
}

func (s *Service) stopAndQuit() {
	_ = s.Stop() // a failed stop is shown; the container keeps its label and is adopted next time
	s.quit()
}

func (s *Service) quit() {
	s.mu.Lock()
	s.quitting = true
	rt := s.rt
	s.mu.Unlock()
	rt.Quit()
}

// Raise brings the window forward; a second launch of the app calls it.
func (s *Service) Raise() {
	s.mu.Lock()
	rt := s.rt
	s.mu.Unlock()
	if rt != nil {
		rt.Raise()
	}
}

// QuitNow quits without asking (SIGTERM, logout); a running session keeps
// running and is adopted on the next launch. Wails hears the same signal and
// starts closing by itself; we only finish the job if the quit question
// stopped it, because quitting GTK twice crashes.
func (s *Service) QuitNow() {
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
