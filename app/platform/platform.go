// Package platform holds per-OS facts and actions: default folders, the
// user's ids, free disk space, opening a URL in the system browser.
package platform

import (
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/adrg/xdg"
)

// Facts are what the container spec needs to know about this machine.
type Facts struct {
	OS  string // runtime.GOOS
	UID int    // for NB_UID; 1000 on Windows
	GID int
	// Owner is who runs the app (a uid, or a SID on Windows), written on
	// what we create so that another user's containers are never touched.
	Owner     string
	OwnerName string
}

// Current returns this machine's facts. A root user gets 1000: Jupyter will
// not run as root, and 1000 is the image's own user.
func Current() Facts {
	f := Facts{OS: runtime.GOOS, UID: 1000, GID: 1000}
	if runtime.GOOS != "windows" {
		if uid := os.Getuid(); uid > 0 {
			f.UID, f.GID = uid, os.Getgid()
		}
		f.Owner = strconv.Itoa(os.Getuid())
	}
	if u, err := user.Current(); err == nil {
		f.Owner, f.OwnerName = u.Uid, u.Username
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
