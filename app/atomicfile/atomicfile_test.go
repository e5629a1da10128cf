package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "f.toml")
	for _, content := range []string{"first version, long", "second"} {
		if err := Write(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(path); string(b) != content {
			t.Errorf("content %q, want %q", b, content)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temp files left: %v", entries)
	}
}

func TestWriteFailureLeavesOriginal(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	os.WriteFile(path, []byte("original"), 0o600)
	// A folder where the file should be makes the rename fail.
	if err := Write(filepath.Join(path, "x"), []byte("new"), 0o600); err == nil {
		t.Error("write into a file path succeeded")
	}
	if b, _ := os.ReadFile(path); string(b) != "original" {
		t.Errorf("original damaged: %q", b)
	}
}

func TestSetAside(t *testing.T) {
	path := filepath.Join(t.TempDir(), "settings.toml")
	os.WriteFile(path, []byte("keep me"), 0o600)
	dst, err := SetAside(path, "stamp")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "keep me" {
		t.Errorf("kept %q", b)
	}
}

func TestSetAsideNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "settings.toml")
	var kept []string
	for i := range 3 {
		os.WriteFile(p, []byte{byte('a' + i)}, 0o600)
		dst, err := SetAside(p, "20260101T000000Z") // the same second each time
		if err != nil {
			t.Fatal(err)
		}
		kept = append(kept, dst)
	}
	for i, k := range kept {
		if b, err := os.ReadFile(k); err != nil || string(b) != string(rune('a'+i)) {
			t.Errorf("backup %d (%s) holds %q (%v)", i, k, b, err)
		}
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("the original is still there: %v", err)
	}
}
