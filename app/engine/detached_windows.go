package engine

import "syscall"

// detached: Podman's service is started only on Linux.
func detached() *syscall.SysProcAttr { return nil }
