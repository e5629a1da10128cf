//go:build !windows

package platform

import (
	"os"
	"path/filepath"
	"testing"
)

// A folder in a shared temp folder is ours only if it is a real folder that
// nobody else can enter: a link planted there (to a folder of the planter's)
// is refused, not followed, and its target is left as it was.
func TestPrivateDir(t *testing.T) {
	tmp := t.TempDir()
	fresh := filepath.Join(tmp, "fresh")
	if err := PrivateDir(fresh); err != nil {
		t.Fatalf("a new folder: %v", err)
	}
	if err := PrivateDir(fresh); err != nil {
		t.Fatalf("the same folder again: %v", err)
	}
	target := filepath.Join(tmp, "theirs")
	os.Mkdir(target, 0o755)
	link := filepath.Join(tmp, "planted")
	os.Symlink(target, link)
	if err := PrivateDir(link); err == nil {
		t.Error("a symlink was accepted as the private folder")
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o755 {
		t.Errorf("the link's target was changed to %v", fi.Mode().Perm())
	}
	open := filepath.Join(tmp, "open")
	os.Mkdir(open, 0o755)
	if err := PrivateDir(open); err == nil {
		t.Error("a folder others can enter was accepted")
	}
}
