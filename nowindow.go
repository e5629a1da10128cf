//go:build nowindow

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// windowProgram is the full build's name in the Linux packages: the
// command line is a separate, CGO-free program so that a command does not
// first load GTK and WebKit (about 70 ms before anything else happens).
const windowProgram = "neurodeskapp-window"

// runGUI hands the window to the program beside this one, in this process
// (exec), with the same arguments.
func runGUI(args []string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the window program: %w", err)
	}
	window := filepath.Join(filepath.Dir(exe), windowProgram)
	if err := syscall.Exec(window, append([]string{window}, args...), os.Environ()); err != nil {
		return fmt.Errorf("open the window: %s: %w (it is installed beside %s)", window, err, exe)
	}
	return nil
}
