//go:build !windows

package engine

import "syscall"

// detached runs a process in a session of its own: it stays when the app goes.
func detached() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
