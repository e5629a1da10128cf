package ui

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"github.com/neurodesk/neurodeskapp/app/atomicfile"
	"github.com/neurodesk/neurodeskapp/app/session"
	"github.com/neurodesk/neurodeskapp/app/settings"
	"github.com/neurodesk/neurodeskapp/app/webview"
)

// A notebook opened from the system mounts its whole folder at /data,
// where every program in Neurodesktop may change or delete what it holds.
// The first time for a folder the person is asked; their yes is kept.

func (s *Service) mountedPath() string {
	return filepath.Join(s.cfg.Paths.StateDir, "opened-folders.json")
}

func (s *Service) agreedFolders() []string {
	var f []string
	if b, err := os.ReadFile(s.mountedPath()); err == nil {
		_ = json.Unmarshal(b, &f) // a bad file only means asking again
	}
	return f
}

func (s *Service) agreeFolder(folder string) {
	f := s.agreedFolders()
	if slices.Contains(f, folder) {
		return
	}
	if b, err := json.Marshal(append(f, folder)); err == nil {
		if err := atomicfile.Write(s.mountedPath(), b, 0o600); err != nil {
			slog.Warn("remember a folder opened from the system", "error", err)
		}
	}
}

// mayMount says whether r's folder may go to /data: refused with the
// reason where no folder of a session may be (the root, /tmp, the whole
// home), else asked once per folder; checkOnly leaves the asking to the
// restart's own question (which names the folder).
func (s *Service) mayMount(r openRequest, st settings.Settings, checkOnly bool) bool {
	st.WorkFolder = r.Folder
	var lim settings.Limits
	s.mu.Lock()
	if s.eng != nil {
		lim = session.LimitsOf(s.eng.Info())
	}
	rt := s.rt
	s.mu.Unlock()
	if err := settings.Validate(st, lim); err != nil {
		s.notice(webview.Notice{Key: noticeOpen, Text: "Could not open " + r.name() + ": " + err.Error(), Stays: true})
		return false
	}
	if checkOnly || slices.Contains(s.agreedFolders(), r.Folder) {
		return true
	}
	a, err := rt.Ask(webview.Question{Title: "Open " + r.name(),
		Message: "Let Neurodesktop use the folder " + r.Folder + "?",
		Detail: "To open " + r.name() + ", its folder is mounted at /data (~/data in JupyterLab): the programs in Neurodesktop can read, change and delete everything in it. " +
			"You are asked once for each folder.",
		Buttons: []string{"_Use the folder and open", "_Cancel"}, Default: 0, Cancel: 1})
	if err != nil || a.Button != 0 {
		return false
	}
	s.agreeFolder(r.Folder)
	return true
}
