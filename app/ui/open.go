package ui

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/neurodesk/neurodeskapp/app/session"
	"github.com/neurodesk/neurodeskapp/app/settings"
	"github.com/neurodesk/neurodeskapp/app/webview"
)

// Opening a notebook or a folder from the OS: a double-click in the file
// manager (a launch with paths, or a second launch handing them over),
// a drop onto the launcher, macOS's open event. The folder is mounted at
// /data (the image links it into the home as data/) for the session, the
// settings stay as they are, and JupyterLab opens the file. A file in the
// data folder, or in the running session's /data, needs no new mount; a
// folder never mounted before is asked about first (mountask.go).

// openRequest is one thing to open, on this computer.
type openRequest struct {
	Folder string // mounted at /data unless a mount of the session holds it
	File   string // a file in Folder; "" opens the folder itself
}

// OpenView is the pending request on the launcher.
type OpenView struct {
	Name   string `json:"name"`
	Folder string `json:"folder"`
	// Mounted: the folder goes to /data; else the data folder holds it.
	Mounted bool `json:"mounted"`
}

// openRequestOf reads what the first path names: a folder, or a file
// and the folder it is in. Later paths are not opened (one /data).
func openRequestOf(paths []string) (openRequest, error) {
	if len(paths) == 0 {
		return openRequest{}, fmt.Errorf("nothing to open")
	}
	p, err := filepath.Abs(paths[0])
	if err != nil {
		return openRequest{}, fmt.Errorf("open %s: %w", paths[0], err)
	}
	st, err := os.Stat(p)
	if err != nil {
		return openRequest{}, fmt.Errorf("open %s: %w", p, err)
	}
	if st.IsDir() {
		return openRequest{Folder: p}, nil
	}
	return openRequest{Folder: filepath.Dir(p), File: filepath.Base(p)}, nil
}

func (r openRequest) name() string {
	if r.File != "" {
		return r.File
	}
	return filepath.Base(r.Folder)
}

// labPath is where JupyterLab's file browser shows r in a session with
// this data folder (at ~/neurodesktop-storage) and /data (at ~/data);
// false when neither holds it.
func labPath(r openRequest, data, work string) (string, bool) {
	full := filepath.Join(r.Folder, r.File)
	for _, m := range []struct{ root, at string }{{work, "data"}, {data, "neurodesktop-storage"}} {
		if m.root == "" {
			continue
		}
		rel, err := filepath.Rel(m.root, full)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue
		}
		if rel == "." {
			return m.at, true
		}
		return m.at + "/" + filepath.ToSlash(rel), true
	}
	return "", false
}

// launched is a launch's arguments: the window comes forward, and the
// paths among them open (the launching process made them absolute; flags
// and their values are not paths).
func (s *Service) launched(args []string) {
	paths := PathArgs(args)
	if len(paths) == 0 {
		s.raise()
		return
	}
	s.openPaths(paths)
}

// PathArgs are the paths to open among a launch's arguments.
func PathArgs(args []string) []string {
	var paths []string
	for _, a := range args {
		if filepath.IsAbs(a) {
			paths = append(paths, a)
		}
	}
	return paths
}

// openPaths is a launch's (or a drop's) paths: the window comes forward
// and they open as openRequest says.
func (s *Service) openPaths(paths []string) {
	r, err := openRequestOf(paths)
	if err != nil {
		slog.Warn("open from the system", "error", err)
		s.notice(webview.Notice{Key: noticeOpen, Text: "Could not open " + strings.Join(paths, ", ") + ": it does not exist or cannot be read.", Stays: true})
		return
	}
	s.raise()
	s.open(r)
}

const noticeOpen = "open"

func (s *Service) notice(n webview.Notice) {
	if rt := s.runtime(); rt != nil {
		rt.Notice(n)
	}
}

// open shows r: in the running session when one of its mounts holds it
// (else, once the person agrees, in a session started anew with its
// folder at /data), or in the session the launcher starts now.
func (s *Service) open(r openRequest) {
	s.mu.Lock()
	eng, info, starting := s.eng, s.session, s.cancel != nil
	st := s.snap.Settings
	s.mu.Unlock()
	slog.Info("open from the system", "name", r.name())
	switch {
	case info != nil && info.Remote || eng != nil && eng.Info().Remote:
		s.notice(webview.Notice{Key: noticeOpen, Text: r.name() + " is on this computer; the Neurodesktop shown runs on another one and cannot open it.", Stays: true})
	case info != nil:
		if p, ok := labPath(r, info.DataFolder, info.WorkFolder); ok {
			s.setOpening(nil)
			s.showPage(info.FileURL(p))
			return
		}
		if s.mayMount(r, st, true) {
			s.restartToOpen(r, *info)
		}
	case starting:
		if _, ok := labPath(r, st.DataFolder, st.WorkFolder); ok {
			s.setOpening(&r) // OpenSession shows it once the start is done
			return
		}
		s.notice(webview.Notice{Key: noticeOpen, Text: "Neurodesktop is starting with other folders; open " + r.name() + " again once it runs.", Stays: true})
	default:
		if _, ok := labPath(r, st.DataFolder, st.WorkFolder); !ok && !s.mayMount(r, st, false) {
			s.setOpening(nil)
			return
		}
		s.setOpening(&r)
		if eng != nil {
			s.startToOpen()
		} // else the engine, once found, starts it (continueOpen)
	}
}

// restartToOpen asks before the running session is replaced by one with
// r's folder at /data, then stops it (the page first asks about its
// unsaved work) and starts anew.
func (s *Service) restartToOpen(r openRequest, info session.Info) {
	s.mu.Lock()
	rt, onPage, work := s.rt, !s.onLauncher, info.WorkFolder
	s.mu.Unlock()
	now := "No folder is mounted at /data now."
	if work != "" {
		now = "Now " + work + " is mounted there."
	}
	a, err := rt.Ask(webview.Question{Title: "Open " + r.name(),
		Message: "Restart Neurodesktop to open " + r.name() + "?",
		Detail: "Its folder, " + r.Folder + ", is not in this session: Neurodesktop restarts with it at /data. " + now + "\n" +
			"Lost: unsaved changes in JupyterLab, running notebooks' state, and programs open in the desktop.",
		Buttons: []string{"_Restart and open", "_Cancel"}, Default: 1, Cancel: 1})
	if err != nil || a.Button != 0 {
		return
	}
	s.agreeFolder(r.Folder) // asked, and said yes
	s.setOpening(&r)
	restart := func() {
		if err := s.stop(); err == nil {
			s.startToOpen()
		}
	}
	if onPage {
		rt.Leave(func() {
			s.showLauncher()
			restart()
		})
		return
	}
	restart()
}

// startToOpen starts the session for the pending request; a refusal (an
// invalid folder, say) shows on the error screen.
func (s *Service) startToOpen() {
	if err := s.start(); err != nil {
		s.onEvent(session.Event{State: session.StateFailed, Err: err})
	}
}

// continueOpen carries on with a pending request once the engine answers.
func (s *Service) continueOpen() {
	s.mu.Lock()
	r := s.opening
	s.mu.Unlock()
	if r != nil {
		s.open(*r)
	}
}

func (s *Service) setOpening(r *openRequest) {
	s.mu.Lock()
	s.opening = r
	s.mu.Unlock()
	s.update(func(sn *Snapshot) {
		sn.Opening = nil
		if r != nil {
			_, held := labPath(*r, sn.Settings.DataFolder, sn.Settings.WorkFolder)
			sn.Opening = &OpenView{Name: r.name(), Folder: r.Folder, Mounted: !held}
		}
	})
}

// withOpening is the settings a start uses: the pending request's folder
// at /data when no mount holds it already.
func (s *Service) withOpening(st settings.Settings) settings.Settings {
	s.mu.Lock()
	r := s.opening
	s.mu.Unlock()
	if r == nil {
		return st
	}
	if _, ok := labPath(*r, st.DataFolder, st.WorkFolder); !ok {
		st.WorkFolder = r.Folder
	}
	return st
}

// openingURL is where OpenSession goes: the pending file, once, or Lab.
func (s *Service) openingURL(info session.Info) string {
	s.mu.Lock()
	r := s.opening
	s.mu.Unlock()
	if r == nil {
		return info.LabURL()
	}
	s.setOpening(nil)
	if p, ok := labPath(*r, info.DataFolder, info.WorkFolder); ok {
		return info.FileURL(p)
	}
	return info.LabURL()
}

// ForgetOpen is the launcher's "Don't open": the pending request goes.
func (s *Service) ForgetOpen() error {
	if err := s.fromLauncher(); err != nil {
		return err
	}
	s.setOpening(nil)
	return nil
}

// dropped is a drop of files onto the window: only the launcher takes
// them (a session page's drops are its own, JupyterLab's uploads).
func (s *Service) dropped(paths []string) {
	s.mu.Lock()
	ok := s.onLauncher
	s.mu.Unlock()
	if !ok || len(paths) == 0 {
		return
	}
	s.openPaths(paths)
}
