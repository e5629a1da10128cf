package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/neurodesk/neurodeskapp/app/atomicfile"
)

// Podman takes most of a second to answer /info and /version, which every
// command would otherwise pay before doing anything. What they said is
// remembered per engine, keyed by what its ping says it is (the Server
// header names Docker or Libpod and its version) and, for a local socket,
// when the socket was made (a restarted or reconfigured engine makes it
// anew). A remembered description is trusted for describeTTL.
const describeTTL = 24 * time.Hour

type described struct {
	Info Info      `json:"info"`
	At   time.Time `json:"at"`
}

// describeKey is "" when the engine cannot be told apart from another
// one on the same endpoint: then nothing is remembered.
func describeKey(ep Endpoint, server, api string) string {
	if server == "" {
		return ""
	}
	key := ep.Host + " " + server + " API " + api
	if p := socketPath(ep.Host); p != "" {
		fi, err := os.Stat(p)
		if err != nil {
			return ""
		}
		key += fmt.Sprintf(" made %d", fi.ModTime().UnixNano())
	}
	return key
}

// serverHeader asks the engine's ping who it is.
func (e *Engine) serverHeader(ctx context.Context) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.rawURL("/_ping"), nil)
	if err != nil {
		return ""
	}
	resp, err := e.api.HTTPClient().Do(req)
	if err != nil {
		return ""
	}
	resp.Body.Close()
	return resp.Header.Get("Server")
}

func readDescribed(path string) map[string]described {
	m := map[string]described{}
	b, err := os.ReadFile(path)
	if err != nil {
		return m
	}
	if json.Unmarshal(b, &m) != nil {
		// Only a cache, but still not thrown away: kept beside for a look.
		_ = os.Rename(path, fmt.Sprintf("%s.corrupt-%d", path, time.Now().UnixNano()))
		return map[string]described{}
	}
	return m
}

func recallDescription(path, key string, now time.Time) (Info, bool) {
	if path == "" || key == "" {
		return Info{}, false
	}
	d, ok := readDescribed(path)[key]
	if !ok || now.Sub(d.At) > describeTTL || now.Before(d.At) {
		return Info{}, false
	}
	return d.Info, true
}

func rememberDescription(path, key string, info Info, now time.Time) {
	if path == "" || key == "" {
		return
	}
	m := readDescribed(path)
	for k, d := range m {
		if now.Sub(d.At) > describeTTL {
			delete(m, k)
		}
	}
	m[key] = described{Info: info, At: now}
	if b, err := json.Marshal(m); err == nil {
		_ = os.MkdirAll(filepath.Dir(path), 0o700)
		_ = atomicfile.Write(path, b, 0o600)
	}
}
