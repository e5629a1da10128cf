//go:build !windows

package engine

import (
	"os"
	"path/filepath"
	"testing"
)

// The SSH control folder (in /tmp on macOS) is never one someone planted
// as a link: ssh would put this user's control sockets where they point.
func TestSSHControlFolderRefusesALink(t *testing.T) {
	tmp := t.TempDir()
	os.Mkdir(filepath.Join(tmp, "theirs"), 0o700)
	link := filepath.Join(tmp, "neurodeskapp-ssh")
	os.Symlink(filepath.Join(tmp, "theirs"), link)
	if err := (SSHOptions{ControlDir: link}).prepare(); err == nil {
		t.Error("a planted link was taken as the ssh control folder")
	}
	if err := (SSHOptions{ControlDir: filepath.Join(tmp, "mine")}).prepare(); err != nil {
		t.Errorf("a new control folder: %v", err)
	}
}
