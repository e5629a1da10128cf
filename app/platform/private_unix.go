//go:build !windows

package platform

import (
	"os"
	"syscall"
)

// private reports whether only this user can enter the folder.
func private(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid() && fi.Mode().Perm() == 0o700
}
