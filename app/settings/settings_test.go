package settings

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestLoadMissingGivesDefaults(t *testing.T) {
	d := Defaults("/home/a/neurodesktop-storage")
	s, res := Load(filepath.Join(t.TempDir(), "settings.toml"), d, time.Now())
	if !res.Created || res.Problem != nil || s.DataFolder != d.DataFolder || s.Privileges != PrivilegesFull || s.ShmSizeMB != 1024 {
		t.Errorf("%+v %+v", s, res)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "neurodeskapp", "settings.toml")
	s := Defaults("/home/ä ö/Daten mit Leerzeichen")
	s.GPU, s.MemoryGB, s.Mounts = true, 16, []Mount{{Source: "/mnt/x", Target: "/x", ReadOnly: true}}
	if err := Save(path, s); err != nil {
		t.Fatal(err)
	}
	got, res := Load(path, Defaults("/other"), time.Now())
	if res.Problem != nil || got.DataFolder != s.DataFolder || !got.GPU || got.MemoryGB != 16 || len(got.Mounts) != 1 || !got.Mounts[0].ReadOnly {
		t.Errorf("round trip: %+v %+v", got, res)
	}
	if fi, _ := os.Stat(path); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 { // Windows: no modes
		t.Errorf("mode %v", fi.Mode())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temp files left behind: %v", entries)
	}
}

func TestLoadKeepsUnknownKeysHarmless(t *testing.T) {
	path := filepath.Join(t.TempDir(), "settings.toml")
	os.WriteFile(path, []byte("gpu = true\nfuture_option = 3\n[future_table]\nx = 1\n"), 0o600)
	s, res := Load(path, Defaults("/d"), time.Now())
	if res.Problem != nil || !s.GPU || s.DataFolder != "/d" {
		t.Errorf("%+v %+v", s, res)
	}
}

func TestLoadCorruptIsKeptAside(t *testing.T) {
	for name, content := range map[string]string{
		"not toml":   "data_folder = \"open\n",
		"wrong type": "memory_gb = \"lots\"\n",
		"binary":     "\x00\x01\x02",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "settings.toml")
			os.WriteFile(path, []byte(content), 0o600)
			now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
			s, res := Load(path, Defaults("/d"), now)
			if res.Problem == nil || s.DataFolder != "/d" {
				t.Fatalf("%+v %+v", s, res)
			}
			if b, err := os.ReadFile(res.Backup); err != nil || string(b) != content {
				t.Errorf("backup %q: %v %q", res.Backup, err, b)
			}
			if !strings.Contains(res.Backup, "20261125T100000Z") {
				t.Errorf("backup name %q", res.Backup)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Error("the corrupt file is still in the way")
			}
		})
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte("data_folder = \"/x\"\ngpu = true\n"))
	f.Add([]byte("[[mounts]]\nsource = \"/a\"\ntarget = \"/b\"\n"))
	f.Add([]byte("memory_gb = [1, 2"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "settings.toml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, res := Load(path, Defaults("/d"), time.Now())
		if res.Problem != nil {
			b, err := os.ReadFile(res.Backup)
			if err != nil || string(b) != string(data) {
				t.Fatalf("a rejected file was not kept intact: %v", err)
			}
		}
	})
}

// A settings file saved with the mirror the app used to default to moves to
// the one upstream pushes to now; a mirror of the person's own stays.
func TestLoadMovesTheOldDefaultMirror(t *testing.T) {
	for saved, want := range map[string]string{
		"ghcr.io/neurodesk/neurodesktop/neurodesktop": "ghcr.io/neurodesk/neurodesktop",
		"registry.uni.example/neuro/neurodesktop":     "registry.uni.example/neuro/neurodesktop",
		"": "",
	} {
		path := filepath.Join(t.TempDir(), "settings.toml")
		os.WriteFile(path, []byte("mirror_repository = \""+saved+"\"\n"), 0o600)
		s, res := Load(path, Defaults("/d"), time.Now())
		if res.Problem != nil || s.MirrorRepository != want {
			t.Errorf("saved %q: loaded %q (%v), want %q", saved, s.MirrorRepository, res.Problem, want)
		}
	}
	if d := Defaults("/d"); d.MirrorRepository != "ghcr.io/neurodesk/neurodesktop" || d.FullSudo || d.CVMFSEager {
		t.Errorf("defaults: mirror %q, full sudo %v, eager %v", d.MirrorRepository, d.FullSudo, d.CVMFSEager)
	}
}
