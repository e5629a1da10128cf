package update

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// maxAsset bounds any download: the largest installer is far smaller, and a
// release that claims more is not ours.
const maxAsset = 512 << 20

// ghRelease and ghAsset are the parts of GitHub's releases API we read.
type ghRelease struct {
	Tag        string    `json:"tag_name"`
	Name       string    `json:"name"`
	Body       string    `json:"body"`
	Draft      bool      `json:"draft"`
	Prerelease bool      `json:"prerelease"`
	HTMLURL    string    `json:"html_url"`
	Assets     []ghAsset `json:"assets"`
}

type ghAsset struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	URL         string `json:"url"` // the API address; answers with the bytes
	DownloadURL string `json:"browser_download_url"`
}

func (r ghRelease) asset(name string) (ghAsset, bool) {
	for _, a := range r.Assets {
		if a.Name == name {
			return a, true
		}
	}
	return ghAsset{}, false
}

// github is a minimal client of the releases API of one repository.
type github struct {
	base string // API base ending in "/", e.g. https://api.github.com/
	repo string // owner/name
	http *http.Client
}

func (g github) releases(ctx context.Context) ([]ghRelease, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.base+"repos/"+g.repo+"/releases?per_page=30", nil)
	if err != nil {
		return nil, fmt.Errorf("list releases of %s: %w", g.repo, err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	resp, err := g.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("list releases of %s: %w", g.repo, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("list releases of %s: %s", g.repo, resp.Status)
	}
	var rels []ghRelease
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&rels); err != nil {
		return nil, fmt.Errorf("list releases of %s: %w", g.repo, err)
	}
	return rels, nil
}

// download fetches an asset's bytes, reporting progress when asked.
func (g github) download(ctx context.Context, a ghAsset, progress func(done, total int64)) ([]byte, error) {
	if a.Size > maxAsset {
		return nil, fmt.Errorf("download %s: %d bytes is more than any release file may be", a.Name, a.Size)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", a.Name, err)
	}
	req.Header.Set("Accept", "application/octet-stream")
	resp, err := g.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", a.Name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download %s: %s", a.Name, resp.Status)
	}
	var r io.Reader = io.LimitReader(resp.Body, maxAsset+1)
	if progress != nil {
		r = &counter{r: r, total: a.Size, progress: progress}
	}
	var b bytes.Buffer
	if _, err := io.Copy(&b, r); err != nil {
		return nil, fmt.Errorf("download %s: %w", a.Name, err)
	}
	if b.Len() > maxAsset {
		return nil, fmt.Errorf("download %s: larger than any release file may be", a.Name)
	}
	return b.Bytes(), nil
}

type counter struct {
	r        io.Reader
	done     int64
	total    int64
	progress func(done, total int64)
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.done += int64(n)
	c.progress(c.done, c.total)
	return n, err
}
