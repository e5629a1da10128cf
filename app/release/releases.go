package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	"github.com/neurodesk/neurodeskapp/app/atomicfile"
)

// ReleasesURL is GitHub's list of Neurodesktop's releases, which upstream
// publishes with each stable image (YYYY-MM-DD) and the Electron app reads.
const ReleasesURL = "https://api.github.com/repos/neurodesk/neurodesktop/releases?per_page=30"

// releasesEvery is how often GitHub is asked at most: anonymous callers
// get 60 requests an hour, shared by everything on the person's network.
const releasesEvery = time.Hour

// maxReleases bounds the list (30 releases with their notes).
const maxReleases = 4 << 20

var dated = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// Said is what one source said the current version is, and when it was
// last asked.
type Said struct {
	Tag string    `json:"tag,omitempty"`
	At  time.Time `json:"at,omitzero"`
	// Stable are all the stable releases a list named, newest first: the
	// newest may not be in the registry yet.
	Stable []string `json:"-"`
}

// Releases reads the newest stable release from GitHub. Refresh asks at
// most once an hour, with the last answer's ETag; its answer is cached.
type Releases struct {
	URL      string
	CacheDir string
	HTTP     *http.Client // a short timeout: this is never urgent
	Now      func() time.Time
}

type releasesCache struct {
	URL       string    `json:"url"`
	ETag      string    `json:"etag,omitempty"`
	Tag       string    `json:"tag,omitempty"`
	Stable    []string  `json:"stable,omitempty"`
	FetchedAt time.Time `json:"fetched_at"` // when GitHub last answered
	AskedAt   time.Time `json:"asked_at"`   // when it was last asked, answered or not
}

func (r *Releases) path() string { return filepath.Join(r.CacheDir, "neurodesktop-releases.json") }

func (r *Releases) read() releasesCache {
	var c releasesCache
	if b, err := os.ReadFile(r.path()); err == nil {
		_ = json.Unmarshal(b, &c) // a bad cache costs one request
	}
	if c.URL != r.URL {
		return releasesCache{URL: r.URL}
	}
	return c
}

// Cached is what GitHub said last, without asking.
func (r *Releases) Cached() Said {
	c := r.read()
	return Said{Tag: c.Tag, At: c.FetchedAt, Stable: c.Stable}
}

// Refresh asks GitHub for the newest stable release, unless it was asked
// within the hour (then the cached answer is returned).
func (r *Releases) Refresh(ctx context.Context) (Said, error) {
	c := r.read()
	now := r.Now()
	if now.Sub(c.AskedAt) < releasesEvery && now.After(c.AskedAt) {
		return Said{Tag: c.Tag, At: c.FetchedAt, Stable: c.Stable}, nil
	}
	c.AskedAt = now
	defer func() {
		if b, err := json.Marshal(c); err == nil {
			_ = atomicfile.Write(r.path(), b, 0o644) // unwritten: asked again next time
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL, nil)
	if err != nil {
		return Said{}, fmt.Errorf("ask GitHub for Neurodesktop's releases: %w", err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	if c.ETag != "" && c.Tag != "" {
		req.Header.Set("If-None-Match", c.ETag)
	}
	resp, err := r.HTTP.Do(req)
	if err != nil {
		return Said{}, fmt.Errorf("ask GitHub for Neurodesktop's releases: %w", err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotModified:
		c.FetchedAt = now
		return Said{Tag: c.Tag, At: now, Stable: c.Stable}, nil
	case http.StatusOK:
	default:
		return Said{}, fmt.Errorf("ask GitHub for Neurodesktop's releases: %s", resp.Status)
	}
	var list []struct {
		Tag        string `json:"tag_name"`
		Draft      bool   `json:"draft"`
		Prerelease bool   `json:"prerelease"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxReleases)).Decode(&list); err != nil {
		return Said{}, fmt.Errorf("read Neurodesktop's releases: %w", err)
	}
	var stable []string
	for _, rel := range list {
		if !rel.Draft && !rel.Prerelease && dated.MatchString(rel.Tag) {
			stable = append(stable, rel.Tag)
		}
	}
	if len(stable) == 0 {
		return Said{}, errors.New("no stable Neurodesktop version among its releases on GitHub")
	}
	slices.Sort(stable)
	slices.Reverse(stable) // dates: newest first
	stable = slices.Compact(stable)
	c.Tag, c.Stable, c.ETag, c.FetchedAt = stable[0], stable, resp.Header.Get("ETag"), now
	return Said{Tag: c.Tag, At: now, Stable: stable}, nil
}

// NewReleases reads GitHub's releases, or NEURODESK_RELEASES_URL's
// answer (envURL) in its place, caching in cacheDir.
func NewReleases(envURL, cacheDir string) *Releases {
	url := ReleasesURL
	if envURL != "" {
		url = envURL
	}
	return &Releases{URL: url, CacheDir: cacheDir, HTTP: &http.Client{Timeout: 5 * time.Second}, Now: time.Now}
}
