package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neurodesk/neurodeskapp/app/settings"
	"github.com/neurodesk/neurodeskapp/internal/testenv"
)

// TestElectronSettingsImportedOnce: a person upgrading from the Neurodesk
// App 1.x finds their choices in the new app, is told once, and the old
// file is left as it was. They had moved their storage folder to another
// disk: the first start mounts that folder, with their work in it.
func TestElectronSettingsImportedOnce(t *testing.T) {
	w := newWorld(t)
	os.Remove(w.settingsPath())
	work := filepath.Join(w.home, "MRI study")
	os.MkdirAll(work, 0o755)
	moved := filepath.Join(w.home, "Externe Platte", "neurodesktop-storage")
	os.MkdirAll(moved, 0o755)
	os.WriteFile(filepath.Join(moved, "thesis.ipynb"), []byte("{}"), 0o644)
	old := filepath.Join(w.home, "config", "NeurodeskApp", "settings.json")
	os.MkdirAll(filepath.Dir(old), 0o755)
	rec, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(), "app", "migrate", "testdata", "electron-settings.json"))
	if err != nil {
		t.Fatal(err)
	}
	content := strings.Replace(strings.Replace(string(rec), "WORKDIR", work, 1), "STORAGE", moved, 1)
	os.WriteFile(old, []byte(content), 0o600)

	r := w.run("status")
	if !strings.Contains(r.stderr, "Neurodesk App 1.x") || !strings.Contains(r.stderr, "offline") {
		t.Errorf("not told what was imported: %s", r.stderr)
	}
	saved, _ := os.ReadFile(w.settingsPath())
	if !strings.Contains(string(saved), `cvmfs_mode = 'offline'`) && !strings.Contains(string(saved), `cvmfs_mode = "offline"`) ||
		!strings.Contains(string(saved), "MRI study") {
		t.Errorf("settings after the import:\n%s", saved)
	}
	if r := w.run("status"); strings.Contains(r.stderr, "Neurodesk App 1.x") {
		t.Errorf("told again: %s", r.stderr)
	}
	if b, _ := os.ReadFile(old); string(b) != content {
		t.Error("the old app's settings file was changed")
	}

	// The first start, from the test registry, mounts the moved folder.
	st, _ := settings.Load(w.settingsPath(), settings.Defaults(""), time.Now())
	st.ImageRepository, st.MirrorRepository = w.repo, ""
	if err := settings.Save(w.settingsPath(), st); err != nil {
		t.Fatal(err)
	}
	if r := w.run("start", "--json", "--no-open"); r.code != 0 {
		t.Fatalf("start: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var mounted string
	for _, m := range w.inspect().Mounts {
		if m.Destination == "/neurodesktop-storage" {
			mounted = m.Source
		}
	}
	if mounted != moved {
		t.Errorf("/neurodesktop-storage is %q, want the moved folder %q", mounted, moved)
	}
}
