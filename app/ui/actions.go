package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/neurodesk/neurodeskapp/app/buildinfo"
	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/session"
	"github.com/neurodesk/neurodeskapp/app/settings"
	"github.com/neurodesk/neurodeskapp/app/webview"
)

// SaveResult is the outcome of SaveSettings: saved, or the field errors.
type SaveResult struct {
	Saved    bool                  `json:"saved"`
	Fields   []settings.FieldError `json:"fields"`
	Snapshot Snapshot              `json:"snapshot"`
}

// SaveSettings validates and saves; with field errors nothing is saved.
// Changes to the container apply on the next start.
func (s *Service) SaveSettings(st settings.Settings) (SaveResult, error) {
	if err := s.fromLauncher(); err != nil {
		return SaveResult{}, err
	}
	if err := settings.Validate(st, s.limits()); err != nil {
		fe, _ := err.(settings.Errors)
		snap := s.snapshot()
		return SaveResult{Fields: fe, Snapshot: snap}, nil
	}
	if snap := s.snapshot(); st.Engine != snap.Settings.Engine && snap.Session.State != session.StateIdle && snap.Session.State != session.StateFailed {
		// The session lives on the engine it was started on.
		return SaveResult{Fields: settings.Errors{{Field: "engine", Message: "stop Neurodesktop before choosing another engine"}}, Snapshot: snap}, nil
	}
	if err := settings.Save(s.cfg.Paths.Settings, st); err != nil {
		return SaveResult{}, err
	}
	before := s.snapshot()
	dataErr, free := dataFolderState(st, before.Engine.Remote) // the disk, outside the lock
	s.update(func(sn *Snapshot) {
		sn.Settings, sn.SettingsNote = st, ""
		sn.DataError, sn.DataFree = dataErr, free
	})
	s.mu.Lock()
	bg := s.bg
	s.mu.Unlock()
	if st.Engine != before.Settings.Engine && bg != nil {
		s.background(func() { s.connectEngine(bg, false) }) // the engine chosen now
	}
	snap := s.snapshot()
	return SaveResult{Saved: true, Fields: []settings.FieldError{}, Snapshot: snap}, nil
}

// limits are the connected engine's resources, for validation.
func (s *Service) limits() settings.Limits {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.eng == nil {
		return settings.Limits{Remote: s.snap.Engine.Remote}
	}
	return session.LimitsOf(s.eng.Info())
}

// changeSettings saves the current settings with change made, or returns
// the fields that do not validate.
func (s *Service) changeSettings(change func(*settings.Settings)) error {
	st := s.snapshot().Settings
	change(&st)
	res, err := s.SaveSettings(st)
	if err != nil {
		return err
	}
	if !res.Saved {
		return settings.Errors(res.Fields)
	}
	return nil
}

// DefaultSettings returns the settings a new user starts with.
func (s *Service) DefaultSettings() (settings.Settings, error) {
	if err := s.fromLauncher(); err != nil {
		return settings.Settings{}, err
	}
	return settings.Defaults(platform.DefaultDataFolder(goos, s.cfg.Home)), nil
}

// ChooseDataFolder opens the native folder dialog and saves the choice.
func (s *Service) ChooseDataFolder() (Snapshot, error) {
	if err := s.fromLauncher(); err != nil {
		return Snapshot{}, err
	}
	s.mu.Lock()
	st, rt := s.snap.Settings, s.rt
	s.mu.Unlock()
	dir, err := rt.ChooseFolder("Choose your data folder", st.DataFolder)
	if err != nil || dir == "" {
		return s.snapshot(), nil
	}
	return s.SetDataFolder(dir)
}

// SetDataFolder saves dir as the data folder: typed in where no folder
// dialog can show it (a remote engine's folders are on its host).
func (s *Service) SetDataFolder(dir string) (Snapshot, error) {
	if err := s.fromLauncher(); err != nil {
		return Snapshot{}, err
	}
	st := s.snapshot().Settings
	st.DataFolder = strings.TrimSpace(dir)
	res, err := s.SaveSettings(st)
	if err != nil {
		return Snapshot{}, err
	}
	if !res.Saved {
		for _, f := range res.Fields {
			if f.Field == "data_folder" {
				s.update(func(sn *Snapshot) { sn.DataError = f.Message })
			}
		}
	}
	return s.snapshot(), nil
}

// refreshDataFolder fills in the data folder's problem and free space; it
// touches the disk, so it is never called under the lock.
func (s *Service) refreshDataFolder(sn *Snapshot) {
	sn.DataError, sn.DataFree = dataFolderState(sn.Settings, sn.Engine.Remote)
}

// dataFolderState says what is wrong with the data folder ("" if nothing)
// and how much space is free where it is (0 on a remote engine's host).
func dataFolderState(st settings.Settings, remote bool) (string, uint64) {
	problemText := ""
	if err := settings.Validate(st, settings.Limits{Remote: remote}); err != nil {
		if fe, ok := err.(settings.Errors); ok {
			for _, e := range fe {
				if e.Field == "data_folder" {
					problemText = e.Message
				}
			}
		}
	}
	if remote {
		return problemText, 0 // a folder on the engine's host: its free space is not seen from here
	}
	for dir := st.DataFolder; dir != ""; {
		if free, err := platform.FreeBytes(dir); err == nil {
			return problemText, free
		}
		parent := parentDir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return problemText, 0
}

func parentDir(p string) string {
	i := strings.LastIndexAny(strings.TrimRight(p, `/\`), `/\`)
	if i <= 0 {
		return p[:max(i, 0)+1]
	}
	return p[:i]
}

// OpenSession is the launcher leaving for JupyterLab: it returns the
// address the page goes to, and from now on nothing is emitted into the
// window until the launcher is back.
func (s *Service) OpenSession() (string, error) {
	if err := s.fromLauncher(); err != nil {
		return "", err
	}
	info, err := s.current()
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.onLauncher = false
	s.mu.Unlock()
	return s.openingURL(info), nil
}

// openSessionPage is the menu's "Open JupyterLab", from whatever page.
func (s *Service) openSessionPage() {
	if info, err := s.current(); err == nil {
		s.showPage(info.LabURL())
	}
}

func (s *Service) current() (session.Info, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.session == nil {
		return session.Info{}, &problem.Error{Code: problem.NotRunning, Message: "No session is running"}
	}
	return *s.session, nil
}

// showPage moves the main window to a session page; a session page shown
// now may first ask about unsaved work. From then on nothing is emitted
// into the window until the launcher is back.
func (s *Service) showPage(url string) {
	s.mu.Lock()
	onPage, rt := !s.onLauncher, s.rt
	s.onLauncher = false
	s.mu.Unlock()
	if onPage {
		rt.Leave(func() { rt.Navigate(url) })
		return
	}
	rt.Navigate(url)
}

// BackToLauncher returns to the launcher once the page agrees to be left.
func (s *Service) backToLauncher() {
	s.mu.Lock()
	onPage, rt := !s.onLauncher, s.rt
	s.mu.Unlock()
	if onPage {
		rt.Leave(s.showLauncher)
	}
}

// OpenInBrowser opens JupyterLab in the system browser, through a page
// only we can read, so the token is on no command line.
func (s *Service) OpenInBrowser() error {
	if err := s.fromLauncher(); err != nil {
		return err
	}
	return s.openInBrowser()
}

// openInBrowser is OpenInBrowser for the app's own menus and timers, which may act
// while a session page is shown.
func (s *Service) openInBrowser() error {
	info, err := s.current()
	if err != nil {
		return err
	}
	page, err := platform.RedirectPage(s.cfg.Paths.StateDir, info.LabURL())
	if err != nil {
		return err
	}
	s.runtime().OpenBrowser(page)
	return nil
}

// ConnectRemote checks an existing Neurodesktop and makes it the session.
// Plain http to another machine is used only after the person agrees.
func (s *Service) ConnectRemote(url, token string) error {
	if err := s.fromLauncher(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(s.bg, 15*time.Second)
	defer cancel()
	info, err := session.ConnectRemote(ctx, &http.Client{}, url, token, false)
	if problem.CodeOf(err) == problem.InsecureRemote {
		a, aerr := s.runtime().Ask(webview.Question{Title: "Unencrypted connection", Message: "Connect without encryption?",
			Detail:  err.Error() + ".\n" + problem.RemedyOf(err),
			Buttons: []string{"_Connect Anyway", "_Cancel"}, Default: 1, Cancel: 1})
		if aerr != nil || a.Button != 0 {
			return err
		}
		info, err = session.ConnectRemote(ctx, &http.Client{}, url, token, true)
	}
	if err != nil {
		return err
	}
	s.setSession(info)
	return nil
}

// StartDockerDesktop launches Docker Desktop where it is installed but not
// running (macOS, Windows), then looks for the engine again.
func (s *Service) StartDockerDesktop() error {
	if err := s.fromLauncher(); err != nil {
		return err
	}
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", "-a", "Docker")
	case "windows":
		cmd = exec.Command(`C:\Program Files\Docker\Docker\Docker Desktop.exe`)
	default:
		return &problem.Error{Code: problem.Internal, Message: "Docker Desktop cannot be started from here on this system"}
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start Docker Desktop: %w", err)
	}
	go func() {
		_ = cmd.Wait()
		for i := 0; i < 60; i++ { // Docker Desktop takes a while to come up
			time.Sleep(2 * time.Second)
			s.connect(s.bg)
			if st := s.snapshot(); st.Engine.State == "ok" {
				return
			}
		}
	}()
	return nil
}

func desktopStartable() bool {
	switch runtime.GOOS {
	case "darwin":
		_, err := os.Stat("/Applications/Docker.app")
		return err == nil
	case "windows":
		_, err := os.Stat(`C:\Program Files\Docker\Docker\Docker Desktop.exe`)
		return err == nil
	}
	return false
}

// Diagnostics is a text to paste into a bug report. Tokens are redacted.
func (s *Service) Diagnostics() (string, error) {
	if err := s.fromLauncher(); err != nil {
		return "", err
	}
	sn := s.snapshot()
	b := buildinfo.Get()
	var w strings.Builder
	fmt.Fprintf(&w, "Neurodesk App %s (commit %s, built %s, %s, %s)\n", b.Version, b.Commit, b.Date, b.GoVersion, b.Platform)
	fmt.Fprintf(&w, "Engine: %s %s %s (API %s) at %s\n", sn.Engine.State, sn.Engine.Kind, sn.Engine.Version, sn.Engine.API, sn.Engine.Endpoint)
	fmt.Fprintf(&w, "Sockets tried: %s\n", strings.Join(sn.Engine.Tried, ", "))
	if e := sn.Engine.Error; e != nil {
		fmt.Fprintf(&w, "Engine error: [%s] %s\n", e.Code, e.Detail)
	}
	fmt.Fprintf(&w, "Image: %s (from %s %s)\n", sn.Image.Tag, sn.Image.Origin, sn.Image.At)
	fmt.Fprintf(&w, "Session: %s %s\n", sn.Session.State, sn.Session.Message)
	if e := sn.Session.Error; e != nil {
		fmt.Fprintf(&w, "Last error: [%s] %s\n", e.Code, e.Detail)
	}
	for _, l := range sn.Session.LogTail {
		fmt.Fprintf(&w, "  | %s\n", l)
	}
	return problem.Redact(w.String()), nil
}

// ContainerLog returns the last lines of the session container's log (ours
// only; never any other container or file).
func (s *Service) ContainerLog() (string, error) {
	if err := s.fromLauncher(); err != nil {
		return "", err
	}
	s.mu.Lock()
	eng := s.eng
	s.mu.Unlock()
	if eng == nil {
		return "", &problem.Error{Code: problem.EngineNotRunning, Message: "No container engine is connected"}
	}
	ctx, cancel := context.WithTimeout(s.bg, 10*time.Second)
	defer cancel()
	var b strings.Builder
	err := s.manager(eng).Logs(ctx, "500", false, &b)
	if errors.Is(err, session.ErrNoSession) {
		return "", &problem.Error{Code: problem.NotRunning, Message: "No Neurodesk session container exists"}
	}
	if err != nil {
		return "", err
	}
	return problem.Redact(b.String()), nil
}
