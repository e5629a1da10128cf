package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// useParentConsole gives the command line an output when the release's
// GUI program (-H windowsgui) is run from cmd or PowerShell: Windows
// starts it without standard handles, so everything it printed was lost.
// Output already redirected to a file or a pipe is kept as it is.
func useParentConsole() {
	if h, err := windows.GetStdHandle(windows.STD_OUTPUT_HANDLE); err == nil && h != 0 && h != windows.InvalidHandle {
		return
	}
	attach := windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")
	const attachParentProcess = ^uintptr(0) // ATTACH_PARENT_PROCESS, (DWORD)-1
	if r, _, _ := attach.Call(attachParentProcess); r == 0 {
		return // started from Explorer: there is no console to write to
	}
	if out, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
		os.Stdout, os.Stderr = out, out
	}
}
