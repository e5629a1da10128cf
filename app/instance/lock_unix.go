//go:build !windows

package instance

import (
	"os"

	"golang.org/x/sys/unix"
)

// lockFile takes an exclusive advisory lock that the OS drops when the
// process dies, so a crash never leaves the app locked out.
func lockFile(f *os.File) error { return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) }
