//go:build !nowindow

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
	"github.com/neurodesk/neurodeskapp/app/instance"
	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/ui"
	"github.com/neurodesk/neurodeskapp/app/update"
)

//go:embed frontend/index.html frontend/style.css frontend/*.js
var frontend embed.FS

func runGUI(args []string) error {
	paths := platform.AppPaths()
	wait := time.Duration(0)
	if slices.Contains(args, update.RestartFlag) {
		wait = 15 * time.Second // the old version is quitting
	}
	check := selfCheck(args)
	lock, err := instance.AcquireWait(paths.StateDir, wait)
	if errors.Is(err, instance.ErrRunning) {
		if check != nil {
			return errors.New("self-check: Neurodesk is already running; quit it first")
		}
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
	err = ui.Run(svc, assets, filepath.Join(filepath.Dir(paths.Settings), "window.json"), check, func(c ui.Controls) {
		go lock.Serve(ctx, c.Launched)
		go func() {
			<-signals
			log.Info("quitting on signal")
			c.Quit()
		}()
		if len(ui.PathArgs(args)) > 0 {
			go c.Launched(args) // paths to open
		}
	})
	log.Info("stopped", "error", err)
	if err == nil && check != nil {
		r := check.Result()
		fmt.Printf("self-check: ok=%v, report in %s\n", r.OK, filepath.Join(check.Dir, "self-check.json"))
		if !r.OK {
			return fmt.Errorf("self-check failed: %s", strings.Join(r.Failures, "; "))
		}
	}
	return err
}

// selfCheck is --self-check[=DIR]: the window checks itself, writes its
// report and a picture into DIR (default neurodesk-self-check) and quits.
func selfCheck(args []string) *ui.SelfCheck {
	for _, a := range args {
		if rest, ok := strings.CutPrefix(a, "--self-check"); ok && (rest == "" || rest[0] == '=') {
			dir := strings.TrimPrefix(rest, "=")
			if dir == "" {
				dir = "neurodesk-self-check"
			}
			b := buildinfo.Get()
			return ui.NewSelfCheck(dir, b.Version, b.Platform)
		}
	}
	return nil
}
