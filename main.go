// Command neurodeskapp is the Neurodesk App: without a command it opens the
// desktop window; with one (start, stop, status, pull, logs, version) it
// runs headless. This file only wires; window.go opens the window, or, in
// the CLI-only build (-tags nowindow), nowindow.go hands it to the window
// program beside it.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/neurodesk/neurodeskapp/app/applog"
	"github.com/neurodesk/neurodeskapp/app/cli"
	"github.com/neurodesk/neurodeskapp/app/platform"
)

func main() {
	args := os.Args[1:]
	// Flags alone (Wails' dev flags such as -devserver) mean the window.
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") || len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		os.Exit(runCLI(args))
	}
	if err := runGUI(args); err != nil {
		fmt.Fprintln(os.Stderr, "neurodeskapp:", err)
		os.Exit(1)
	}
}

func runCLI(args []string) int {
	useParentConsole()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	home, _ := os.UserHomeDir()
	exe, _ := os.Executable()
	// Failures go to the app log too, as the window's do; without one the
	// command still runs.
	if log, logFile, err := applog.Open(platform.AppPaths().StateDir); err == nil {
		defer logFile.Close()
		slog.SetDefault(log)
	}
	return cli.Run(ctx, args, cli.IO{
		Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv,
		Terminal: isTerminal(os.Stderr), Paths: platform.AppPaths(), Home: home, Executable: exe,
	})
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
