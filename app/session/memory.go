package session

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/neurodesk/neurodeskapp/app/atomicfile"
	"github.com/neurodesk/neurodeskapp/app/engine"
)

// Memory holds what was learned about an engine that need not be asked
// again at every start: that it refuses privileged containers, that the
// home volume already belongs to the Jupyter user.
type Memory interface {
	Remembers(key string) bool
	Remember(key string)
}

// memoryFile keeps the keys in a small JSON file. A bad or missing file
// only means asking the engine again; a bad one is set aside before the
// next write, not overwritten.
type memoryFile struct {
	path string
	mu   sync.Mutex
}

// NewMemoryFile remembers in path.
func NewMemoryFile(path string) Memory { return &memoryFile{path: path} }

// read returns the keys, and whether the file exists but is not ours to read.
func (f *memoryFile) read() (keys map[string]bool, corrupt bool) {
	m := map[string]bool{}
	b, err := os.ReadFile(f.path)
	if err != nil {
		return m, false
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return map[string]bool{}, true
	}
	return m, false
}

func (f *memoryFile) Remembers(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, _ := f.read()
	return m[key]
}

func (f *memoryFile) Remember(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, corrupt := f.read()
	if corrupt {
		if _, err := atomicfile.SetAside(f.path, time.Now().UTC().Format("20060102T150405Z")); err != nil {
			slog.Warn("set aside an unreadable engine memory file", "path", f.path, "error", err)
			return
		}
	}
	m[key] = true
	if b, err := json.Marshal(m); err == nil {
		_ = os.MkdirAll(filepath.Dir(f.path), 0o700)
		_ = atomicfile.Write(f.path, b, 0o600)
	}
}

// Keys are tied to the engine's id and version (an upgraded or reset
// engine is asked again) and, for the home volume, to the id it was made
// with and the owner wanted.
func refusalKey(i engine.Info) string {
	if i.ID == "" {
		return ""
	}
	return "refuses-privileged " + i.ID + "@" + i.ServerVersion
}

func homeKey(i engine.Info, volume, made, owner string) string {
	if i.ID == "" || made == "" {
		return ""
	}
	return "home-owner " + i.ID + " " + volume + "@" + made + " " + owner
}

func (m *Manager) remembers(key string) bool {
	return key != "" && m.Memory != nil && m.Memory.Remembers(key)
}

func (m *Manager) remember(key string) {
	if key != "" && m.Memory != nil {
		m.Memory.Remember(key)
	}
}
