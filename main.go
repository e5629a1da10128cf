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
	"path/filepath"
	"strings"
	"syscall"

	"github.com/neurodesk/neurodeskapp/app/applog"
	"github.com/neurodesk/neurodeskapp/app/cli"
	"github.com/neurodesk/neurodeskapp/app/platform"
)

func main() {
	args := os.Args[1:]
	// A command (or help) runs headless. Flags alone (Wails' dev flags
	// such as -devserver) mean the window, and so do paths: a notebook or
	// folder the file manager hands over, made absolute here because a
	// running window has another working directory.
	if len(args) > 0 && (cli.IsCommand(args[0]) || !strings.HasPrefix(args[0], "-") && !isPath(args[0])) {
		os.Exit(runCLI(args))
	}
	if err := runGUI(absolutePaths(args)); err != nil {
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

func isPath(arg string) bool {
	_, err := os.Stat(arg)
	return err == nil
}

// absolutePaths makes every argument that names a file or folder absolute
// (a flag's value, such as -devserver's address, stays as it is).
func absolutePaths(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if !strings.HasPrefix(a, "-") && isPath(a) {
			if abs, err := filepath.Abs(a); err == nil {
				out[i] = abs
			}
		}
	}
	return out
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
