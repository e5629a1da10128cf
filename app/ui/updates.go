package ui

import (
	"context"
	"time"

	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/update"
)

// Updater is what the service needs of app/update.
type Updater interface {
	Check(ctx context.Context, current string, inst update.Install) (update.Release, bool, error)
	Download(ctx context.Context, r update.Release, progress func(done, total int64)) ([]byte, error)
	Apply(r update.Release, data []byte, inst update.Install) error
}

// UpdateView is the update prompt's state.
type UpdateView struct {
	// State: idle, checking, none (up to date), available, downloading,
	// restart (applied; restart to finish), error.
	State   string          `json:"state"`
	Release *update.Release `json:"release,omitempty"`
	Done    int64           `json:"done"`
	Total   int64           `json:"total"`
	Error   *ErrorView      `json:"error,omitempty"`
	Manual  bool            `json:"manual"` // asked from the menu: say "up to date" too
}

// checkUpdates looks for a newer app. The automatic check (at start, when
// enabled) is silent when offline and respects "Skip this version".
func (s *Service) checkUpdates(ctx context.Context, manual bool) {
	if s.cfg.Updater == nil {
		return
	}
	s.update(func(sn *Snapshot) { sn.Update = UpdateView{State: "checking", Manual: manual} })
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	r, found, err := s.cfg.Updater.Check(cctx, s.cfg.Version, s.cfg.Install)
	s.mu.Lock()
	skipped := s.snap.Settings.SkippedUpdate
	s.mu.Unlock()
	s.update(func(sn *Snapshot) {
		switch {
		case err != nil && manual:
			sn.Update = UpdateView{State: "error", Error: FormatError(err), Manual: true}
		case err != nil, !found && !manual, found && !manual && r.Version == skipped:
			sn.Update = UpdateView{State: "idle"}
		case !found:
			sn.Update = UpdateView{State: "none", Manual: true}
		default:
			s.offered = r
			sn.Update = UpdateView{State: "available", Release: &r, Manual: manual}
		}
	})
}

// CheckForUpdates is the menu's "Check for Updates".
func (s *Service) CheckForUpdates() error {
	if err := s.fromLauncher(); err != nil {
		return err
	}
	return s.checkForUpdatesNow()
}

// checkForUpdatesNow is CheckForUpdates for the app's own menus and timers, which may act
// while a session page is shown.
func (s *Service) checkForUpdatesNow() error {
	go s.checkUpdates(s.bg, true)
	return nil
}

// UpdateNow downloads, verifies and applies the offered update, reporting
// progress; if anything fails the running version stays as it is.
func (s *Service) UpdateNow() error {
	if err := s.fromLauncher(); err != nil {
		return err
	}
	s.mu.Lock()
	r := s.offered
	s.mu.Unlock()
	if r.Version == "" || s.cfg.Updater == nil {
		return &problem.Error{Code: problem.Internal, Message: "No update is on offer"}
	}
	if err := update.Blocked(r, s.cfg.Install); err != nil {
		s.update(func(sn *Snapshot) {
			sn.Update = UpdateView{State: "error", Release: &r, Error: FormatError(err), Manual: true}
		})
		return nil
	}
	go func() {
		s.update(func(sn *Snapshot) { sn.Update = UpdateView{State: "downloading", Release: &r, Total: int64(r.Size)} })
		data, err := s.cfg.Updater.Download(s.bg, r, func(done, total int64) {
			s.update(func(sn *Snapshot) { sn.Update.Done, sn.Update.Total = done, total })
		})
		if err == nil {
			err = s.cfg.Updater.Apply(r, data, s.cfg.Install)
		}
		if err != nil {
			problem.Log("update to "+r.Version, err)
			s.update(func(sn *Snapshot) {
				sn.Update = UpdateView{State: "error", Release: &r, Error: FormatError(err), Manual: true}
			})
			return
		}
		s.update(func(sn *Snapshot) { sn.Update = UpdateView{State: "restart", Release: &r} })
	}()
	return nil
}

// SkipUpdate remembers not to offer this version again automatically.
func (s *Service) SkipUpdate() error {
	if err := s.fromLauncher(); err != nil {
		return err
	}
	st := s.snapshot()
	if st.Update.Release == nil {
		return nil
	}
	st.Settings.SkippedUpdate = st.Update.Release.Version
	if _, err := s.SaveSettings(st.Settings); err != nil {
		return err
	}
	s.update(func(sn *Snapshot) { sn.Update = UpdateView{State: "idle"} })
	return nil
}

// LaterUpdate hides the prompt until the next start.
func (s *Service) LaterUpdate() error {
	if err := s.fromLauncher(); err != nil {
		return err
	}
	s.update(func(sn *Snapshot) { sn.Update = UpdateView{State: "idle"} })
	return nil
}

// RestartApp starts the updated app and quits this one; a running session
// keeps running and is adopted by the new version.
func (s *Service) RestartApp() error {
	if err := s.fromLauncher(); err != nil {
		return err
	}
	if err := update.Restart(s.cfg.Install); err != nil {
		return err
	}
	s.quitNow()
	return nil
}
