// Package launcher is what the window and the command line share before
// either says anything: the settings as loaded (with a damaged file kept
// aside and the 1.x app's settings brought over on first run), the source
// of the current Neurodesktop version, the engine connection, and the
// session manager on it. Each face only presents what it gets.
package launcher

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/migrate"
	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/registry"
	"github.com/neurodesk/neurodeskapp/app/release"
	"github.com/neurodesk/neurodeskapp/app/session"
	"github.com/neurodesk/neurodeskapp/app/settings"
	"github.com/neurodesk/neurodeskapp/app/versions"
)

// Engine is what the faces need of the container engine.
type Engine interface {
	session.Engine
	session.Execer
	versions.Engine
	Endpoint() engine.Endpoint
	Ping(ctx context.Context) error
	Close() error
}

// Connector finds the engine and says every endpoint it tried.
type Connector func(ctx context.Context) (Engine, []engine.Attempt, error)

// Connect is engine.Connect on this machine's engines, remembering their
// descriptions in the cache folder (a command then needs only a ping).
func Connect(e Env, choice func() string) Connector {
	return func(ctx context.Context) (Engine, []engine.Attempt, error) {
		env := engine.HostEnv()
		if choice != nil {
			env.Choice = choice() // read at each connect: Settings may have changed it
		}
		if e.Paths.CacheDir != "" {
			env.DescribeCache = filepath.Join(e.Paths.CacheDir, "engine-descriptions.json")
		}
		env.Relays = e.Relays
		eng, attempts, err := engine.Connect(ctx, env)
		if err != nil {
			return nil, attempts, err // not a typed nil in the interface
		}
		return eng, attempts, nil
	}
}

// Env is where the app runs.
type Env struct {
	GOOS     string
	Home     string
	Paths    platform.Paths
	Getenv   func(string) string
	Instance string // NEURODESKAPP_INSTANCE: names of a separate session
	// Relays keep the addresses of sessions on engines over SSH across
	// connections (a window's); nil: each engine's own.
	Relays *engine.Relays
}

// Loaded is the settings to use, and what the person should be told about
// how they were found.
type Loaded struct {
	Settings settings.Settings
	Result   settings.LoadResult
	// Notes are one-time messages: a damaged file kept aside, settings
	// brought over from the 1.x app.
	Notes []string
	// Old is what came from the 1.x app on first run (its recent remote
	// servers among it).
	Old migrate.Result
}

// LoadSettings reads the settings file: the defaults where there is none
// or it cannot be used (it is then kept aside, never overwritten), and on
// a first run whatever the 1.x app knew.
func LoadSettings(e Env) Loaded {
	defaults := settings.Defaults(platform.DefaultDataFolder(e.GOOS, e.Home))
	st, res := settings.Load(e.Paths.Settings, defaults, time.Now())
	l := Loaded{Result: res}
	if res.Problem != nil {
		l.Notes = append(l.Notes, fmt.Sprintf("Your settings file could not be read (%v); using default settings. Your file was kept as %s.", res.Problem, res.Backup))
	}
	st, old, note := migrate.FirstRun(res.Created, migrate.Dirs(e.GOOS, e.Home, e.Getenv), st, e.Paths.Settings, e.Home)
	if note != "" {
		l.Notes = append(l.Notes, note)
	}
	l.Settings, l.Old = st, old
	return l
}

// Source is where the current Neurodesktop version is read from:
// neurodesktop.toml (NEURODESK_MANIFEST_URL, else the settings' manifest),
// GitHub's releases (NEURODESK_RELEASES_URL, else GitHub's API) and the
// registry's tags, cached in the cache folder.
func Source(e Env, st settings.Settings) *versions.Feed {
	return &versions.Feed{
		Manifest: release.NewSource(e.Getenv("NEURODESK_MANIFEST_URL"), st.ManifestURL, e.Paths.CacheDir),
		Releases: release.NewReleases(e.Getenv("NEURODESK_RELEASES_URL"), e.Paths.CacheDir),
		Registry: &registry.Client{HTTP: &http.Client{Timeout: 10 * time.Second}},
		Repos:    versions.Repos(st),
		Dir:      e.Paths.CacheDir,
		Now:      time.Now,
	}
}

// Manager is the session manager on eng, for this user and instance.
func Manager(e Env, eng Engine) *session.Manager {
	return session.NewManager(eng, e.Paths.StateDir, e.Instance)
}
