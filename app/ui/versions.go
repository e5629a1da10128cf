package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/session"
	"github.com/neurodesk/neurodeskapp/app/settings"
	"github.com/neurodesk/neurodeskapp/app/versions"
	"github.com/neurodesk/neurodeskapp/app/webview"
)

// VersionsView is what the launcher shows about Neurodesktop versions.
type VersionsView struct {
	// Next is what the next start runs, why, and a newer version that is
	// not on disk yet.
	Next     versions.Choice   `json:"next"`
	OnDisk   []versions.OnDisk `json:"on_disk"`
	Download DownloadView      `json:"download"`
	Pruned   string            `json:"pruned,omitempty"` // the last prune, in words
	// Sources is what each place upstream publishes the version said.
	Sources []versions.SourceReport `json:"sources,omitempty"`
}

// DownloadView is a new version coming in the background.
type DownloadView struct {
	State string               `json:"state"` // idle, pulling, done, failed
	Tag   string               `json:"tag,omitempty"`
	Pull  *engine.PullProgress `json:"pull,omitempty"`
	Error *ErrorView           `json:"error,omitempty"`
}

// manifestWait bounds how long a start that must pull waits for the
// current version online.
const manifestWait = 5 * time.Second

// pickVersion is the version a start runs (the stable channel's; "" for
// the others), shown on the launcher as it is decided.
func (s *Service) pickVersion(ctx context.Context, eng Engine, st settings.Settings) (string, error) {
	if st.Channel != settings.ChannelStable {
		return "", nil
	}
	c, v, err := versions.Pick(ctx, eng, s.src.ForStart(), st, "", manifestWait)
	if err != nil {
		return "", err
	}
	s.update(func(sn *Snapshot) {
		sn.Image = imageView(v)
		sn.Versions.Next = c
	})
	return c.Tag, nil
}

// refreshVersions works out what the next start runs and whether a newer
// version exists; with new_versions = auto it starts fetching it.
func (s *Service) refreshVersions(ctx context.Context) {
	s.mu.Lock()
	eng, st, src, dl := s.eng, s.snap.Settings, s.src, s.snap.Versions.Download.State
	s.mu.Unlock()
	if eng == nil || src == nil || st.Channel != settings.ChannelStable {
		return
	}
	c, local, err := versions.Next(ctx, eng, st, src.Current().Tag, "")
	if err != nil {
		slog.Warn("list the versions on disk", "error", err)
		return
	}
	sources := src.Sources()
	s.update(func(sn *Snapshot) {
		sn.Versions.Next, sn.Versions.OnDisk, sn.Versions.Sources = c, local, sources
	})
	if c.Newer != "" && st.NewVersions == settings.NewVersionsAuto && dl != "pulling" {
		_ = s.downloadVersion()
	}
}

// DownloadVersion fetches the newer version in the background; the
// session keeps running and nothing waits for it.
func (s *Service) DownloadVersion() error {
	if err := s.fromLauncher(); err != nil {
		return err
	}
	return s.downloadVersion()
}

// downloadVersion is DownloadVersion for the app's own menus and timers, which may act
// while a session page is shown.
func (s *Service) downloadVersion() error {
	s.mu.Lock()
	tag, eng, st := s.snap.Versions.Next.Newer, s.eng, s.snap.Settings
	if s.dlCancel != nil || tag == "" || eng == nil {
		s.mu.Unlock()
		if tag == "" {
			return &problem.Error{Code: problem.Internal, Message: "There is no newer version to download"}
		}
		return nil // already under way, or no engine: the launcher shows which
	}
	ctx, cancel := context.WithCancel(s.bg)
	s.dlCancel = cancel
	s.mu.Unlock()
	s.update(func(sn *Snapshot) { sn.Versions.Download = DownloadView{State: "pulling", Tag: tag} })
	go func() {
		defer func() {
			cancel()
			s.mu.Lock()
			s.dlCancel = nil
			s.mu.Unlock()
		}()
		_, err := s.manager(eng).EnsureImage(ctx, session.StartOptions{Settings: st, Tag: tag, OnEvent: func(e session.Event) {
			if e.Pull != nil {
				s.update(func(sn *Snapshot) { sn.Versions.Download.Pull = e.Pull })
			}
		}})
		switch {
		case errors.Is(err, context.Canceled):
			s.update(func(sn *Snapshot) { sn.Versions.Download = DownloadView{State: "idle"} })
		case err != nil:
			problem.Log("download version "+tag, err)
			s.update(func(sn *Snapshot) {
				sn.Versions.Download = DownloadView{State: "failed", Tag: tag, Error: FormatError(err)}
			})
		default:
			slog.Info("downloaded a new version", "tag", tag)
			s.update(func(sn *Snapshot) { sn.Versions.Download = DownloadView{State: "done", Tag: tag} })
			s.refreshVersions(s.bg)
		}
	}()
	return nil
}

// CancelDownload stops the background download; layers already fetched
// stay, so a later download resumes.
func (s *Service) CancelDownload() error {
	if err := s.fromLauncher(); err != nil {
		return err
	}
	s.mu.Lock()
	cancel := s.dlCancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return nil
}

// PinVersion makes every start use tag until UnpinVersion.
func (s *Service) PinVersion(tag string) error {
	if err := s.fromLauncher(); err != nil {
		return err
	}
	return s.setPinned(tag)
}

// UnpinVersion goes back to the current version.
func (s *Service) UnpinVersion() error {
	if err := s.fromLauncher(); err != nil {
		return err
	}
	return s.setPinned("")
}

func (s *Service) setPinned(tag string) error {
	if err := s.changeSettings(func(st *settings.Settings) { st.PinnedVersion = tag }); err != nil {
		return err
	}
	s.background(func() { s.refreshVersions(s.bg) })
	return nil
}

// RestartIntoVersion stops the running session (after the same question
// as Stop) and starts again, on the version the next start runs.
func (s *Service) RestartIntoVersion() error {
	if err := s.fromLauncher(); err != nil {
		return err
	}
	s.mu.Lock()
	next, running := s.snap.Versions.Next.Tag, s.session != nil && !s.session.Remote
	s.mu.Unlock()
	if !running {
		return s.Start()
	}
	if !s.confirmStop() {
		return nil
	}
	if err := s.stop(); err != nil {
		return err
	}
	slog.Info("restarting into a new version", "tag", next)
	return s.Start()
}

// PruneVersions removes old Neurodesktop versions after saying which and
// how much space they hold.
func (s *Service) PruneVersions() error {
	if err := s.fromLauncher(); err != nil {
		return err
	}
	s.mu.Lock()
	eng, st := s.eng, s.snap.Settings
	s.mu.Unlock()
	if eng == nil {
		return &problem.Error{Code: problem.EngineNotRunning, Message: "No container engine is connected"}
	}
	ctx, cancel := context.WithTimeout(s.bg, 10*time.Minute)
	defer cancel()
	plan, err := versions.Prune(ctx, eng, st, true)
	if err != nil {
		return err
	}
	if len(plan.Removed) == 0 {
		s.update(func(sn *Snapshot) {
			sn.Versions.Pruned = "Nothing to remove: only the versions in use, pinned or newest are here."
		})
		return nil
	}
	var names []string
	for _, d := range plan.Removed {
		names = append(names, fmt.Sprintf("%s (%s)", d.Tag, gb(d.Size)))
	}
	a, err := s.runtime().Ask(webview.Question{Title: "Free disk space", Message: fmt.Sprintf("Remove %d old Neurodesktop version(s)?", len(plan.Removed)),
		Detail:  "Removed: " + strings.Join(names, ", ") + ".\nKept: the versions in use, pinned or newest. Your data folder and home folder are not touched.",
		Buttons: []string{"_Remove", "_Cancel"}, Default: 1, Cancel: 1})
	if err != nil || a.Button != 0 {
		return err
	}
	done, err := versions.Prune(ctx, eng, st, false)
	msg := fmt.Sprintf("Removed %d old version(s); the engine reports %s freed.", len(done.Removed), gb(done.Freed))
	if done.AtMost {
		msg = fmt.Sprintf("Removed %d old version(s), freeing at most %s.", len(done.Removed), gb(done.Freed))
	}
	if err != nil {
		msg += " Some could not be removed: " + err.Error()
	}
	s.update(func(sn *Snapshot) { sn.Versions.Pruned = msg })
	s.background(func() { s.refreshVersions(s.bg) })
	return nil
}

func gb(n int64) string { return fmt.Sprintf("%.1f GB", float64(n)/1e9) }
