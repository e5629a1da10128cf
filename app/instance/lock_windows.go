//go:build windows

package instance

import (
	"os"

	"golang.org/x/sys/windows"
)

// lockFile takes an exclusive lock that Windows drops when the process dies.
func lockFile(f *os.File) error {
	ol := new(windows.Overlapped)
	return windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
}
