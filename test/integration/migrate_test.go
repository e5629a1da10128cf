package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurodesk/neurodeskapp/internal/testenv"
)

// TestElectronSettingsImportedOnce: a person upgrading from the Neurodesk
// App 2.x finds their choices in the new app, is told once, and the old
// file is left as it was.
func TestElectronSettingsImportedOnce(t *testing.T) {
	w := newWorld(t)
	os.Remove(w.settingsPath())
	work := filepath.Join(w.home, "MRI study")
	os.MkdirAll(work, 0o755)
	old := filepath.Join(w.home, "config", "NeurodeskApp", "settings.json")
	os.MkdirAll(filepath.Dir(old), 0o755)
	rec, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(), "app", "migrate", "testdata", "electron-settings.json"))
	if err != nil {
		t.Fatal(err)
	}
	content := strings.Replace(string(rec), "WORKDIR", work, 1)
	os.WriteFile(old, []byte(content), 0o600)

	r := w.run("status")
	if !strings.Contains(r.stderr, "Neurodesk App 2.x") || !strings.Contains(r.stderr, "offline") {
		t.Errorf("not told what was imported: %s", r.stderr)
	}
	saved, _ := os.ReadFile(w.settingsPath())
	if !strings.Contains(string(saved), `cvmfs_mode = 'offline'`) && !strings.Contains(string(saved), `cvmfs_mode = "offline"`) ||
		!strings.Contains(string(saved), "MRI study") {
		t.Errorf("settings after the import:\n%s", saved)
	}
	if r := w.run("status"); strings.Contains(r.stderr, "Neurodesk App 2.x") {
		t.Errorf("told again: %s", r.stderr)
	}
	if b, _ := os.ReadFile(old); string(b) != content {
		t.Error("the old app's settings file was changed")
	}
}
