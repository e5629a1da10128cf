// Command neurodeskapp is the Neurodesk App: without a command it opens the
// desktop window; with one (start, stop, status, pull, logs, version) it
// runs headless. This file only wires.
package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/neurodesk/neurodeskapp/app/applog"
	"github.com/neurodesk/neurodeskapp/app/buildinfo"
	"github.com/neurodesk/neurodeskapp/app/cli"
	"github.com/neurodesk/neurodeskapp/app/instance"
	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/ui"
	"github.com/neurodesk/neurodeskapp/app/update"
)

//go:embed frontend/index.html frontend/style.css frontend/*.js
var frontend embed.FS

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

func runGUI(args []string) error {
	paths := platform.AppPaths()
	wait := time.Duration(0)
	if slices.Contains(args, update.RestartFlag) {
		wait = 15 * time.Second // the old version is quitting
	}
	lock, err := instance.AcquireWait(paths.StateDir, wait)
	if errors.Is(err, instance.ErrRunning) {
		return instance.Notify(paths.StateDir, args) // the first window comes forward
	}
	if err != nil {
		return err
	}
	defer lock.Release()
	log, logFile, err := applog.Open(paths.StateDir)
	if err != nil {
		return err
	}
	defer logFile.Close()
	slog.SetDefault(log)
	b := buildinfo.Get()
	log.Info("starting", "version", b.Version, "commit", b.Commit, "platform", b.Platform)
	ui.DisableDMABufOnNvidia()

	home, _ := os.UserHomeDir()
	exe, _ := os.Executable()
	cfg := ui.Config{Paths: paths, Home: home, Instance: os.Getenv("NEURODESKAPP_INSTANCE"), Getenv: os.Getenv, Version: b.Version,
		Install: update.DetectInstall(exe, update.HostEnv(runtime.GOOS))}
	if up, err := update.New(update.Config{APIBaseURL: os.Getenv("NEURODESK_UPDATE_API")}); err == nil {
		cfg.Updater = up
	} else {
		log.Warn("updates disabled", "error", err)
	}
	svc := ui.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	assets, err := fs.Sub(frontend, "frontend")
	if err != nil {
		return err
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, os.Interrupt)
	err = ui.Run(svc, assets, filepath.Join(filepath.Dir(paths.Settings), "window.json"), func(quit, raise func()) {
		go lock.Serve(ctx, func([]string) { raise() })
		go func() {
			<-signals
			log.Info("quitting on signal")
			quit()
		}()
	})
	log.Info("stopped", "error", err)
	return err
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
