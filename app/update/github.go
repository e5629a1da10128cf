package update

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

// get asks for url, accepting accept, and returns a 200 answer's body.
func (g github) get(ctx context.Context, url, accept string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	resp, err := g.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, errors.New(resp.Status)
	}
	return resp.Body, nil
}

func (g github) releases(ctx context.Context) ([]ghRelease, error) {
	body, err := g.get(ctx, g.base+"repos/"+g.repo+"/releases?per_page=30", "application/vnd.github+json")
	if err != nil {
		return nil, fmt.Errorf("list releases of %s: %w", g.repo, err)
	}
	defer body.Close()
	var rels []ghRelease
	if err := json.NewDecoder(io.LimitReader(body, 16<<20)).Decode(&rels); err != nil {
		return nil, fmt.Errorf("list releases of %s: %w", g.repo, err)
	}
	return rels, nil
}

// download fetches an asset's bytes, reporting progress when asked.
func (g github) download(ctx context.Context, a ghAsset, progress func(done, total int64)) ([]byte, error) {
	if a.Size > maxAsset {
		return nil, fmt.Errorf("download %s: %d bytes is more than any release file may be", a.Name, a.Size)
	}
	body, err := g.get(ctx, a.URL, "application/octet-stream")
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", a.Name, err)
	}
	defer body.Close()
	var r io.Reader = io.LimitReader(body, maxAsset+1)
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
