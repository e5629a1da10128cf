// Package registry reads straight from an image registry: an image's size
// before pulling it, and the tags a repository offers.
package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/distribution/reference"
)

// Client reads manifests anonymously.
type Client struct {
	HTTP *http.Client
}

const accept = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, " +
	"application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"

type manifest struct {
	MediaType string `json:"mediaType"`
	Manifests []struct {
		Digest   string `json:"digest"`
		Platform struct {
			OS           string `json:"os"`
			Architecture string `json:"architecture"`
		} `json:"platform"`
	} `json:"manifests"`
	Layers []struct {
		Digest string `json:"digest"`
		Size   int64  `json:"size"`
	} `json:"layers"`
}

// LayerSizes returns the compressed size of each layer of ref for linux/arch.
func (c *Client) LayerSizes(ctx context.Context, ref, arch string) (map[string]int64, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return nil, fmt.Errorf("parse image reference %q: %w", ref, err)
	}
	named = reference.TagNameOnly(named)
	tag := "latest"
	if t, ok := named.(reference.Tagged); ok {
		tag = t.Tag()
	}
	if d, ok := named.(reference.Digested); ok {
		tag = d.Digest().String()
	}
	r := newRepo(c, named)
	m, err := r.manifest(ctx, tag)
	if err != nil {
		return nil, err
	}
	if len(m.Manifests) > 0 {
		digest := ""
		for _, d := range m.Manifests {
			if d.Platform.OS == "linux" && d.Platform.Architecture == arch {
				digest = d.Digest
				break
			}
		}
		if digest == "" {
			return nil, fmt.Errorf("image %s has no linux/%s variant", ref, arch)
		}
		if m, err = r.manifest(ctx, digest); err != nil {
			return nil, err
		}
	}
	sizes := make(map[string]int64, len(m.Layers))
	for _, l := range m.Layers {
		sizes[l.Digest] = l.Size
	}
	return sizes, nil
}

func baseURL(domain string) string {
	if domain == "docker.io" {
		domain = "registry-1.docker.io"
	}
	host := domain
	if h, _, err := net.SplitHostPort(domain); err == nil {
		host = h
	}
	// Engines talk plain HTTP to loopback registries; so do we.
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return "http://" + domain
	}
	return "https://" + domain
}

type repo struct {
	c     *Client
	base  string
	path  string
	token string
}

func (r *repo) manifest(ctx context.Context, ref string) (manifest, error) {
	u := fmt.Sprintf("%s/v2/%s/manifests/%s", r.base, r.path, ref)
	resp, err := r.get(ctx, u)
	if err != nil {
		return manifest{}, err
	}
	defer resp.Body.Close()
	var m manifest
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&m); err != nil {
		return manifest{}, fmt.Errorf("parse manifest %s: %w", u, err)
	}
	return m, nil
}

func (r *repo) get(ctx context.Context, u string) (*http.Response, error) {
	for try := 0; try < 2; try++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", accept)
		if r.token != "" {
			req.Header.Set("Authorization", "Bearer "+r.token)
		}
		resp, err := r.c.HTTP.Do(req)
		if err != nil {
			return nil, fmt.Errorf("fetch %s: %w", u, err)
		}
		if resp.StatusCode == http.StatusUnauthorized && r.token == "" {
			challenge := resp.Header.Get("WWW-Authenticate")
			resp.Body.Close()
			if r.token, err = r.anonymousToken(ctx, challenge); err != nil {
				return nil, err
			}
			continue
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, fmt.Errorf("fetch %s: %s", u, resp.Status)
		}
		return resp, nil
	}
	return nil, fmt.Errorf("fetch %s: the registry refused our token", u)
}

// anonymousToken follows a Bearer challenge as `docker pull` does without a login.
func (r *repo) anonymousToken(ctx context.Context, challenge string) (string, error) {
	params := map[string]string{}
	rest, ok := strings.CutPrefix(challenge, "Bearer ")
	if !ok {
		return "", fmt.Errorf("registry wants unsupported authentication %q", challenge)
	}
	for _, kv := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		params[k] = strings.Trim(v, `"`)
	}
	q := url.Values{}
	for _, k := range []string{"service", "scope"} {
		if params[k] != "" {
			q.Set(k, params[k])
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, params["realm"]+"?"+q.Encode(), nil)
	if err != nil {
		return "", fmt.Errorf("registry token request: %w", err)
	}
	resp, err := r.c.HTTP.Do(req)
	if err != nil {
		return "", fmt.Errorf("registry token: %w", err)
	}
	defer resp.Body.Close()
	var t struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&t); err != nil {
		return "", fmt.Errorf("registry token: %w", err)
	}
	if t.Token == "" {
		t.Token = t.AccessToken
	}
	return t.Token, nil
}

// Tags lists the tags of repo (e.g. "docker.io/vnmd/neurodesktop"), all
// pages of them, as the registry orders them.
func (c *Client) Tags(ctx context.Context, repo string) ([]string, error) {
	named, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		return nil, fmt.Errorf("parse repository %q: %w", repo, err)
	}
	r := newRepo(c, named)
	next := fmt.Sprintf("%s/v2/%s/tags/list?n=1000", r.base, r.path)
	var tags []string
	for page := 0; next != "" && page < 50; page++ {
		resp, err := r.get(ctx, next)
		if err != nil {
			return nil, err
		}
		var body struct {
			Tags []string `json:"tags"`
		}
		err = json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&body)
		link := resp.Header.Get("Link")
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("parse the tags of %s: %w", repo, err)
		}
		tags = append(tags, body.Tags...)
		next = nextPage(r.base, link)
	}
	return tags, nil
}

func newRepo(c *Client, named reference.Named) *repo {
	return &repo{c: c, base: baseURL(reference.Domain(named)), path: reference.Path(named)}
}

// nextPage reads a Link header (<url>; rel="next"), relative to base.
func nextPage(base, link string) string {
	start, end := strings.IndexByte(link, '<'), strings.IndexByte(link, '>')
	if start < 0 || end < start || !strings.Contains(link[end:], `rel="next"`) {
		return ""
	}
	u := link[start+1 : end]
	if strings.HasPrefix(u, "/") {
		return base + u
	}
	return u
}
