// Command neurodeskapp starts Neurodesktop on the local container engine.
// This file only wires: signals, the environment, and the command line.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/neurodesk/neurodeskapp/app/cli"
	"github.com/neurodesk/neurodeskapp/app/platform"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	home, _ := os.UserHomeDir()
	code := cli.Run(ctx, os.Args[1:], cli.IO{
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Getenv:   os.Getenv,
		Terminal: isTerminal(os.Stderr),
		Paths:    platform.AppPaths(),
		Home:     home,
	})
	stop()
	os.Exit(code)
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
