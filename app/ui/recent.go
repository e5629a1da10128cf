package ui

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/neurodesk/neurodeskapp/app/atomicfile"
	"github.com/neurodesk/neurodeskapp/app/problem"
)

func (s *Service) recentPath() string { return filepath.Join(s.cfg.Paths.StateDir, "recent.json") }

// loadRecent reads the recent sessions; a bad file only costs the list.
func (s *Service) loadRecent() []Recent {
	var r []Recent
	if b, err := os.ReadFile(s.recentPath()); err == nil {
		_ = json.Unmarshal(b, &r)
	}
	return r
}

func (s *Service) saveRecent(r []Recent) {
	if b, err := json.Marshal(r); err == nil {
		_ = atomicfile.Write(s.recentPath(), b, 0o600)
	}
}

// UseRecent makes recent session i current: a local one's data folder
// becomes the data folder; a remote one's address is returned for the
// connect form (its token was never stored).
func (s *Service) UseRecent(i int) (Recent, error) {
	if err := s.fromLauncher(); err != nil {
		return Recent{}, err
	}
	st := s.snapshot()
	if i < 0 || i >= len(st.Recent) {
		return Recent{}, &problem.Error{Code: problem.Internal, Message: "No such recent session"}
	}
	r := st.Recent[i]
	if r.Kind == "local" {
		settings := st.Settings
		settings.DataFolder = r.Name
		if _, err := s.SaveSettings(settings); err != nil {
			return Recent{}, err
		}
	}
	return r, nil
}
