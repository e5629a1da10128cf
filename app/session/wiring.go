package session

import (
	"net/http"
	"time"

	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/registry"
)

// NewManager is a Manager with this machine's facts, a registry client for
// the disk check, and the names of instance ("" for the contract's names).
func NewManager(eng Engine, logDir, instance string) *Manager {
	return &Manager{
		Engine:   eng,
		Sizes:    &registry.Client{HTTP: &http.Client{Timeout: 10 * time.Second}},
		FreeDisk: platform.FreeBytes,
		HTTP:     &http.Client{},
		Facts:    platform.Current(),
		LogDir:   logDir,
		Names:    NamesFor(instance),
	}
}
