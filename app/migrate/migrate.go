// Package migrate brings the choices a person made in the Neurodesk App
// 1.x (the Electron app this one succeeds) into this app's settings, once,
// on the first run. It only reads the old files; it never writes them.
package migrate

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/neurodesk/neurodeskapp/app/settings"
)

// Dirs are the Electron app's user-data folders on goos, newest naming
// first: Electron names the folder after productName ("NeurodeskApp"),
// and some builds used the package name. Its base is Electron's appData:
// %APPDATA%, ~/Library/Application Support, or $XDG_CONFIG_HOME (~/.config).
func Dirs(goos, home string, getenv func(string) string) []string {
	var base string
	switch goos {
	case "darwin":
		base = filepath.Join(home, "Library", "Application Support")
	case "windows":
		base = getenv("APPDATA")
	default:
		if base = getenv("XDG_CONFIG_HOME"); base == "" {
			base = filepath.Join(home, ".config")
		}
	}
	if base == "" {
		return nil
	}
	return []string{filepath.Join(base, "NeurodeskApp"), filepath.Join(base, "neurodeskapp")}
}

// Result says what was brought over, for telling the person once.
type Result struct {
	From     string   // the settings file read
	Imported []string // one line per choice brought over
	// RemoteURLs are recent remote sessions, newest first, without tokens.
	RemoteURLs []string
}

// oldSettings are the keys of the Electron app's settings.json (1.15's
// src/main/config/settings.ts) that mean something here.
type oldSettings struct {
	CheckForUpdates *bool             `json:"checkForUpdatesAutomatically"`
	CVMFSMode       string            `json:"cvmfsMode"`                    // "true": download (offline), "false": stream
	StorageDir      string            `json:"neurodesktopStorageDirectory"` // mounted at /neurodesktop-storage; "" is the default
	WorkingDir      string            `json:"defaultWorkingDirectory"`      // mounted at /data; "" was the home folder
	ServerArgs      string            `json:"serverArgs"`                   // extra Jupyter options
	EngineType      string            `json:"engineType"`
	ServerEnvVars   map[string]string `json:"serverEnvVars"`
}

type oldAppData struct {
	RecentRemoteURLs []struct {
		URL string `json:"url"`
	} `json:"recentRemoteURLs"`
}

// Import reads the first of dirs holding a settings.json and applies what
// maps onto st. found is false when there is nothing to import. A file that
// cannot be read is an error and st is returned unchanged.
func Import(dirs []string, st settings.Settings, home string) (out settings.Settings, res Result, found bool, err error) {
	for _, dir := range dirs {
		p := filepath.Join(dir, "settings.json")
		b, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return st, Result{}, false, fmt.Errorf("read the Neurodesk App 1.x settings %s: %w", p, err)
		}
		var old oldSettings
		if err := json.Unmarshal(b, &old); err != nil {
			return st, Result{}, false, fmt.Errorf("read the Neurodesk App 1.x settings %s: %w", p, err)
		}
		res := Result{From: p}
		apply(&st, old, home, &res)
		res.RemoteURLs = recentRemotes(filepath.Join(dir, "appdata.json"))
		if len(res.RemoteURLs) > 0 {
			res.Imported = append(res.Imported, fmt.Sprintf("%d recent remote session(s)", len(res.RemoteURLs)))
		}
		return st, res, true, nil
	}
	return st, Result{}, false, nil
}

func apply(st *settings.Settings, old oldSettings, home string, res *Result) {
	switch old.CVMFSMode {
	case "true":
		st.CVMFSMode = settings.CVMFSOffline
		res.Imported = append(res.Imported, "tools: offline (downloaded tools only)")
	case "false":
		st.CVMFSMode = settings.CVMFSStream
		res.Imported = append(res.Imported, "tools: streamed from CVMFS")
	}
	if old.CheckForUpdates != nil {
		st.CheckUpdates = *old.CheckForUpdates
		res.Imported = append(res.Imported, fmt.Sprintf("check for app updates: %v", *old.CheckForUpdates))
	}
	// The storage folder, where the person's data is: only a folder that is
	// there now (an unplugged disk's path would otherwise be made anew,
	// empty, on this one).
	if dir := resolve(old.StorageDir, home); dir != "" {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			st.DataFolder = dir
			res.Imported = append(res.Imported, "data folder (your neurodesktop-storage): "+dir)
		} else {
			res.Imported = append(res.Imported, "(the data folder "+dir+" was not found, so the default is used; choose it in Settings once its disk is back)")
		}
	}
	if dir := resolve(old.WorkingDir, home); dir != "" {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			st.WorkFolder = dir
			res.Imported = append(res.Imported, "working folder (mounted at /data): "+dir)
		}
	} else if old.WorkingDir == "" && home != "" {
		res.Imported = append(res.Imported, "(the old app mounted your home folder at /data; this one mounts only the folders you choose: set one for /data in Settings if your notebooks use it)")
	}
	if strings.TrimSpace(old.ServerArgs) != "" || len(old.ServerEnvVars) > 0 {
		res.Imported = append(res.Imported, "(extra Jupyter options and environment variables are not brought over)")
	}
	switch old.EngineType {
	case "tinyrange":
		res.Imported = append(res.Imported, "(TinyRange is not supported; Docker or Podman is used)")
	case "podman":
		res.Imported = append(res.Imported, "(the old app used Podman; this one finds the engine that answers, Podman among them)")
	}
}

// resolve expands the old app's "~" the way it did, and its Windows paths
// written with forward slashes (C:/neurodesktop-storage).
func resolve(p, home string) string {
	p = strings.TrimSpace(p)
	if p == "" {
		return ""
	}
	if p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`) {
		p = filepath.Join(home, p[1:])
	}
	p = filepath.FromSlash(p)
	if !filepath.IsAbs(p) {
		return ""
	}
	return filepath.Clean(p)
}

// recentRemotes lists the old app's recent remote servers, without any
// token in their addresses.
func recentRemotes(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var ad oldAppData
	if json.Unmarshal(b, &ad) != nil {
		return nil
	}
	var out []string
	for _, r := range ad.RecentRemoteURLs {
		u, err := url.Parse(r.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			continue
		}
		q := u.Query()
		q.Del("token")
		u.RawQuery, u.User = q.Encode(), nil
		out = append(out, u.String())
	}
	return out
}

// FirstRun imports the old app's choices when this app has no settings
// file yet (created is settings.Load's word for that), and saves them, so
// it happens once. The note says what came over, for the person.
func FirstRun(created bool, dirs []string, st settings.Settings, settingsPath, home string) (settings.Settings, Result, string) {
	if !created {
		return st, Result{}, ""
	}
	out, res, found, err := Import(dirs, st, home)
	if err != nil {
		return st, Result{}, "Your Neurodesk App 1.x settings could not be read (" + err.Error() + "); the defaults are used."
	}
	if !found {
		return st, Result{}, ""
	}
	if err := settings.Save(settingsPath, out); err != nil {
		return out, res, "Your Neurodesk App 1.x settings were read but could not be saved: " + err.Error()
	}
	note := "Welcome to the new Neurodesk App. From the Neurodesk App 1.x (" + res.From + ") came: " + strings.Join(res.Imported, "; ") + ". That file was left as it is."
	if len(res.Imported) == 0 {
		note = "Welcome to the new Neurodesk App. Your Neurodesk App 1.x settings (" + res.From + ") had nothing to bring over; your data folder stays where it was."
	}
	return out, res, note
}
