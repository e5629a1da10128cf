package session

import (
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/registry"
	"github.com/neurodesk/neurodeskapp/app/settings"
)

// NewManager is a Manager with this machine's facts, a registry client for
// the disk check, and the names of instance ("" for the contract's names).
func NewManager(eng Engine, logDir, instance string) *Manager {
	m := &Manager{
		Engine:   eng,
		Sizes:    &registry.Client{HTTP: &http.Client{Timeout: 10 * time.Second}},
		FreeDisk: platform.FreeBytes,
		HTTP:     &http.Client{},
		Facts:    FactsOn(eng.Info(), platform.Current(), hostname()),
		LogDir:   logDir,
		Names:    NamesFor(instance),
		Memory:   NewMemoryFile(filepath.Join(logDir, "engines.json")),
	}
	if e, ok := eng.(interface{ Tunnel() *engine.Tunnel }); ok {
		if t := e.Tunnel(); t != nil {
			m.Tunnel = t
		}
	}
	return m
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}

// LimitsOf is what settings are checked against on this engine.
func LimitsOf(i engine.Info) settings.Limits {
	return settings.Limits{MemTotal: i.MemTotal, NCPU: i.NCPU, EngineSocket: i.Socket, Remote: i.Remote}
}
