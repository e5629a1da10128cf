package migrate

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/neurodesk/neurodeskapp/app/settings"
)

// oldApp lays out the Electron app's user-data folder from a settings file
// as 1.15 writes it, whose person moved the storage folder to another disk
// (storage, made real) and chose a working folder.
func oldApp(t *testing.T) (home string, dirs []string) {
	return oldAppStoring(t, filepath.ToSlash(filepath.Join(t.TempDir(), "Daten Platte", "neurodesktop-storage")), true)
}

func oldAppStoring(t *testing.T, storage string, exists bool) (home string, dirs []string) {
	home = t.TempDir()
	work := filepath.Join(home, "studies", "MRI 2026")
	os.MkdirAll(work, 0o755)
	if exists {
		os.MkdirAll(storage, 0o755)
		os.WriteFile(filepath.Join(storage, "analysis.ipynb"), []byte("{}"), 0o644)
	}
	dir := filepath.Join(home, ".config", "NeurodeskApp")
	os.MkdirAll(dir, 0o755)
	b, _ := os.ReadFile("testdata/electron-settings.json")
	js := strings.Replace(strings.Replace(string(b), "WORKDIR", "~/studies/MRI 2026", 1), "STORAGE", storage, 1)
	os.WriteFile(filepath.Join(dir, "settings.json"), []byte(js), 0o600)
	b, _ = os.ReadFile("testdata/electron-appdata.json")
	os.WriteFile(filepath.Join(dir, "appdata.json"), b, 0o600)
	return home, Dirs("linux", home, noEnv)
}

func TestImportMapsTheOldChoices(t *testing.T) {
	home, dirs := oldApp(t)
	st, res, found, err := Import(dirs, settings.Defaults(filepath.Join(home, "neurodesktop-storage")), home)
	if err != nil || !found {
		t.Fatal(found, err)
	}
	if st.CVMFSMode != settings.CVMFSOffline || st.CheckUpdates || st.WorkFolder != filepath.Join(home, "studies", "MRI 2026") {
		t.Errorf("settings %+v", st)
	}
	// The moved storage folder is the data folder: the person's notebook is there.
	if _, err := os.Stat(filepath.Join(st.DataFolder, "analysis.ipynb")); err != nil || !strings.HasSuffix(filepath.ToSlash(st.DataFolder), "Daten Platte/neurodesktop-storage") {
		t.Errorf("data folder %q: %v", st.DataFolder, err)
	}
	if !slices.Equal(res.RemoteURLs, []string{"https://hpc.example.org/user/ana/lab", "http://localhost:8888/lab"}) {
		t.Errorf("remote URLs %v (tokens must go)", res.RemoteURLs)
	}
	said := strings.Join(res.Imported, "\n")
	for _, want := range []string{"tools: offline", "check for app updates: false", "data folder (your neurodesktop-storage): " + st.DataFolder, "working folder (mounted at /data)", "2 recent remote session(s)", "used Podman"} {
		if !strings.Contains(said, want) {
			t.Errorf("the note lacks %q:\n%s", want, said)
		}
	}
}

// A storage folder on a disk that is not there now is named, not made anew
// (empty) on this disk: the default is kept until the disk is back.
func TestMissingStorageFolderIsNotMade(t *testing.T) {
	gone := filepath.ToSlash(filepath.Join(t.TempDir(), "unplugged", "neurodesktop-storage"))
	home, dirs := oldAppStoring(t, gone, false)
	def := settings.Defaults(filepath.Join(home, "neurodesktop-storage"))
	st, res, _, err := Import(dirs, def, home)
	if err != nil || st.DataFolder != def.DataFolder || !strings.Contains(strings.Join(res.Imported, "\n"), "was not found") {
		t.Errorf("data folder %q, imported %q: %v", st.DataFolder, res.Imported, err)
	}
	if _, err := os.Stat(filepath.FromSlash(gone)); err == nil {
		t.Error("the missing folder was made")
	}
}

func TestFirstRunImportsOnceAndLeavesTheOldFile(t *testing.T) {
	home, dirs := oldApp(t)
	old := filepath.Join(dirs[0], "settings.json")
	before, _ := os.ReadFile(old)
	stat, _ := os.Stat(old)
	path := filepath.Join(home, ".config", "neurodeskapp", "settings.toml")
	defaults := settings.Defaults(filepath.Join(home, "neurodesktop-storage"))
	_, first := settings.Load(path, defaults, stat.ModTime())
	st, _, note := FirstRun(first.Created, dirs, defaults, path, home)
	if st.CVMFSMode != settings.CVMFSOffline || !strings.Contains(note, "Neurodesk App 1.x") {
		t.Fatalf("first run: %+v %q", st, note)
	}
	saved, again := settings.Load(path, defaults, stat.ModTime())
	if saved.CVMFSMode != settings.CVMFSOffline || again.Created {
		t.Errorf("the import was not saved: %+v", saved)
	}
	if _, _, note := FirstRun(again.Created, dirs, saved, path, home); note != "" {
		t.Errorf("told again: %q", note)
	}
	after, _ := os.ReadFile(old)
	stat2, _ := os.Stat(old)
	if string(after) != string(before) || !stat2.ModTime().Equal(stat.ModTime()) {
		t.Error("the old app's file was changed")
	}
}

func TestNothingToImport(t *testing.T) {
	home := t.TempDir()
	st := settings.Defaults("/d")
	got, _, note := FirstRun(true, Dirs("linux", home, noEnv), st, filepath.Join(home, "s.toml"), home)
	if note != "" || got.CVMFSMode != st.CVMFSMode {
		t.Errorf("%q %+v", note, got)
	}
	if _, err := os.Stat(filepath.Join(home, "s.toml")); err == nil {
		t.Error("a settings file was written with nothing imported")
	}
	// A broken old file: defaults, a note, nothing lost.
	dir := filepath.Join(home, ".config", "NeurodeskApp")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "settings.json"), []byte("{broken"), 0o600)
	if _, _, note := FirstRun(true, Dirs("linux", home, noEnv), st, filepath.Join(home, "s.toml"), home); !strings.Contains(note, "could not be read") {
		t.Errorf("note %q", note)
	}
}

func TestDirs(t *testing.T) {
	if d := Dirs("darwin", "/Users/ana", noEnv); d[0] != filepath.Join("/Users/ana", "Library/Application Support/NeurodeskApp") {
		t.Errorf("%v", d)
	}
	if d := Dirs("windows", `C:\Users\ana`, func(string) string { return `C:\Users\ana\AppData\Roaming` }); !strings.HasSuffix(d[0], "NeurodeskApp") || !strings.HasPrefix(d[0], `C:\Users\ana\AppData\Roaming`) {
		t.Errorf("%v", d)
	}
}

func noEnv(string) string { return "" }
