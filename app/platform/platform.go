// Package platform holds per-OS facts and actions: default folders, the
// user's ids, free disk space, opening a URL in the system browser.
package platform

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/adrg/xdg"
)

// Facts are what the container spec needs to know about this machine.
type Facts struct {
	OS  string // runtime.GOOS
	UID int    // for NB_UID; 1000 on Windows
	GID int
}

// Current returns this machine's facts. A root user gets 1000: Jupyter will
// not run as root, and 1000 is the image's own user.
func Current() Facts {
	f := Facts{OS: runtime.GOOS, UID: 1000, GID: 1000}
	if runtime.GOOS != "windows" {
		if uid := os.Getuid(); uid > 0 {
			f.UID, f.GID = uid, os.Getgid()
		}
	}
	return f
}

// Paths are where the app keeps its files.
type Paths struct {
	Settings string // the settings file
	CacheDir string // neurodesktop.toml cache
	StateDir string // logs and the record of failed starts
}

// AppPaths follows the XDG base directories (and their macOS and Windows
// equivalents), reading the environment now so tests can redirect them.
func AppPaths() Paths {
	xdg.Reload()
	return Paths{
		Settings: filepath.Join(xdg.ConfigHome, "neurodeskapp", "settings.toml"),
		CacheDir: filepath.Join(xdg.CacheHome, "neurodeskapp"),
		StateDir: filepath.Join(xdg.StateHome, "neurodeskapp"),
	}
}

// DefaultDataFolder is where existing users of the old app keep their data.
func DefaultDataFolder(goos, home string) string {
	if goos == "windows" {
		return "C:/neurodesktop-storage"
	}
	return filepath.Join(home, "neurodesktop-storage")
}

// OpenURL opens url in the system browser. The URL is passed as one
// argument, never through a shell.
func OpenURL(ctx context.Context, url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.CommandContext(ctx, "open", url)
	case "windows":
		cmd = exec.CommandContext(ctx, "rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.CommandContext(ctx, "xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("open %s in the browser: %w", url, err)
	}
	go cmd.Wait() //nolint:errcheck // the browser outlives us; only reap the helper
	return nil
}
