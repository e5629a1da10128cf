package release

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/neurodesk/neurodeskapp/app/atomicfile"
)

//go:embed neurodesktop.toml
var embedded []byte

// Origin says where a version came from.
type Origin string

const (
	OriginRemote   Origin = "remote"
	OriginCache    Origin = "cache"
	OriginEmbedded Origin = "embedded"
)

// Version is the current image tag and its provenance.
type Version struct {
	Tag    string    `json:"tag"`
	Origin Origin    `json:"origin"`
	At     time.Time `json:"at"` // when it was fetched; zero for the embedded copy
}

// Source finds the current version. Current never touches the network, so a
// start never waits for it; Refresh fetches in the background.
type Source struct {
	URL      string
	CacheDir string
	HTTP     *http.Client // its Timeout should be short: this is never urgent
	Now      func() time.Time
}

type cacheMeta struct {
	ETag         string    `json:"etag"`
	LastModified string    `json:"last_modified"`
	FetchedAt    time.Time `json:"fetched_at"`
	URL          string    `json:"url"`
}

// maxManifest bounds neurodesktop.toml (a few kilobytes in practice).
const maxManifest = 1 << 20

func (s *Source) cachePath() string { return filepath.Join(s.CacheDir, "neurodesktop.toml") }
func (s *Source) metaPath() string  { return filepath.Join(s.CacheDir, "neurodesktop.meta.json") }

// Embedded returns the version built into the app.
func Embedded() Version {
	m, err := Parse(embedded)
	if err != nil {
		panic("embedded neurodesktop.toml is invalid: " + err.Error()) // caught by tests at build time
	}
	return Version{Tag: m.Version, Origin: OriginEmbedded}
}

// Current returns the cached version if it is readable, else the embedded one.
func (s *Source) Current() Version {
	data, err := os.ReadFile(s.cachePath())
	if err != nil {
		return Embedded()
	}
	m, err := Parse(data)
	if err != nil {
		return Embedded()
	}
	meta := s.readMeta()
	return Version{Tag: m.Version, Origin: OriginCache, At: meta.FetchedAt}
}

func (s *Source) readMeta() cacheMeta {
	var meta cacheMeta
	if b, err := os.ReadFile(s.metaPath()); err == nil {
		_ = json.Unmarshal(b, &meta) // a bad meta file only costs a full download
	}
	return meta
}

// Refresh fetches the manifest with a conditional request and caches a good
// copy. On any failure the cache is left as it was and Current still works.
func (s *Source) Refresh(ctx context.Context) (Version, error) {
	meta := s.readMeta()
	if meta.URL != s.URL {
		meta = cacheMeta{} // validators belong to the URL they came from
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		return Version{}, fmt.Errorf("fetch %s: %w", s.URL, err)
	}
	if _, err := os.Stat(s.cachePath()); err == nil {
		if meta.ETag != "" {
			req.Header.Set("If-None-Match", meta.ETag)
		}
		if meta.LastModified != "" {
			req.Header.Set("If-Modified-Since", meta.LastModified)
		}
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		return Version{}, fmt.Errorf("fetch %s: %w", s.URL, err)
	}
	defer resp.Body.Close()
	now := s.Now()
	switch resp.StatusCode {
	case http.StatusNotModified:
		v := s.Current()
		if v.Origin != OriginCache {
			return Version{}, fmt.Errorf("fetch %s: not modified, but the cached copy is gone", s.URL)
		}
		meta.FetchedAt = now
		if err := s.writeMeta(meta); err != nil {
			return Version{}, err
		}
		return Version{Tag: v.Tag, Origin: OriginRemote, At: now}, nil
	case http.StatusOK:
	default:
		return Version{}, fmt.Errorf("fetch %s: %s", s.URL, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxManifest+1))
	if err != nil {
		return Version{}, fmt.Errorf("fetch %s: %w", s.URL, err)
	}
	if len(data) > maxManifest {
		// A cut copy could parse to the wrong version; refuse it whole.
		return Version{}, fmt.Errorf("fetch %s: larger than %d bytes, which no neurodesktop.toml is; refused", s.URL, maxManifest)
	}
	m, err := Parse(data)
	if err != nil {
		return Version{}, fmt.Errorf("fetched %s: %w", s.URL, err)
	}
	if err := atomicfile.Write(s.cachePath(), data, 0o644); err != nil {
		return Version{}, fmt.Errorf("cache neurodesktop.toml: %w", err)
	}
	meta = cacheMeta{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"), FetchedAt: now, URL: s.URL}
	if err := s.writeMeta(meta); err != nil {
		return Version{}, err
	}
	return Version{Tag: m.Version, Origin: OriginRemote, At: now}, nil
}

func (s *Source) writeMeta(meta cacheMeta) error {
	b, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("encode cache metadata: %w", err)
	}
	if err := atomicfile.Write(s.metaPath(), b, 0o644); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cache metadata: %w", err)
	}
	return nil
}

// NewSource reads the manifest from, in order of precedence, the
// NEURODESK_MANIFEST_URL override, the manifest_url setting, or the
// canonical URL, and caches it in cacheDir.
func NewSource(envURL, settingURL, cacheDir string) *Source {
	url := CanonicalURL
	if settingURL != "" {
		url = settingURL
	}
	if envURL != "" {
		url = envURL
	}
	return &Source{URL: url, CacheDir: cacheDir, HTTP: &http.Client{Timeout: 5 * time.Second}, Now: time.Now}
}
