package launcher

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/settings"
	"github.com/neurodesk/neurodeskapp/internal/fakeengine"
)

func testEnv(t *testing.T) Env {
	home := t.TempDir()
	return Env{GOOS: "linux", Home: home, Getenv: func(string) string { return "" },
		Paths: platform.Paths{Settings: filepath.Join(home, "config", "settings.toml"), CacheDir: filepath.Join(home, "cache"), StateDir: filepath.Join(home, "state")}}
}

// A damaged file: the defaults, one note for both faces, the file kept aside.
func TestLoadSettingsKeepsADamagedFileAside(t *testing.T) {
	e := testEnv(t)
	os.MkdirAll(filepath.Dir(e.Paths.Settings), 0o755)
	os.WriteFile(e.Paths.Settings, []byte("memory_gb = [[["), 0o644)
	l := LoadSettings(e)
	if l.Settings.DataFolder != filepath.Join(e.Home, "neurodesktop-storage") {
		t.Errorf("data folder %q, want the default", l.Settings.DataFolder)
	}
	if len(l.Notes) != 1 || !strings.Contains(l.Notes[0], "using default settings") || !strings.Contains(l.Notes[0], l.Result.Backup) {
		t.Errorf("notes %q", l.Notes)
	}
	if b, err := os.ReadFile(l.Result.Backup); err != nil || string(b) != "memory_gb = [[[" {
		t.Errorf("backup %q: %v", b, err)
	}
}

// First run with the 1.x app's settings: brought over, and said once.
func TestLoadSettingsBringsOver2x(t *testing.T) {
	e := testEnv(t)
	old := filepath.Join(e.Home, ".config", "neurodeskapp")
	os.MkdirAll(old, 0o755)
	os.WriteFile(filepath.Join(old, "settings.json"), []byte(`{"cvmfsMode":"true"}`), 0o644)
	l := LoadSettings(e)
	if l.Settings.CVMFSMode != "offline" || len(l.Notes) != 1 {
		t.Errorf("cvmfs %q, notes %q", l.Settings.CVMFSMode, l.Notes)
	}
	if again := LoadSettings(e); len(again.Notes) != 0 {
		t.Errorf("said again: %q", again.Notes)
	}
}

func TestManagerUsesTheInstanceNames(t *testing.T) {
	e := testEnv(t)
	e.Instance = "it1"
	m := Manager(e, fakeengine.New())
	if m.Names.Container != "neurodeskapp-it1" || m.LogDir != e.Paths.StateDir {
		t.Errorf("names %+v, logs in %q", m.Names, m.LogDir)
	}
	if Source(e, l(e)).Current().Tag == "" {
		t.Error("no current version, not even the built-in one")
	}
}

func l(e Env) settings.Settings { return LoadSettings(e).Settings }
