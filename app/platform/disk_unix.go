//go:build !windows

package platform

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// FreeBytes is the space available to an unprivileged user at path.
func FreeBytes(path string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", path, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}
