package registry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A registry like Docker Hub: a bearer challenge, an index, a platform manifest.
func hub(t *testing.T) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/token":
			if r.URL.Query().Get("scope") != "repository:vnmd/neurodesktop:pull" {
				http.Error(w, "bad scope", 400)
				return
			}
			w.Write([]byte(`{"token":"anon"}`))
		case r.Header.Get("Authorization") != "Bearer anon":
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+srv.URL+`/token",service="registry.test",scope="repository:vnmd/neurodesktop:pull"`)
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/v2/vnmd/neurodesktop/tags/list" && r.URL.Query().Get("last") == "":
			w.Header().Set("Link", `</v2/vnmd/neurodesktop/tags/list?n=2&last=2026-01-02>; rel="next"`)
			w.Write([]byte(`{"name":"vnmd/neurodesktop","tags":["2025-12-01","2026-01-02"]}`))
		case r.URL.Path == "/v2/vnmd/neurodesktop/tags/list":
			w.Write([]byte(`{"name":"vnmd/neurodesktop","tags":["2026-07-11","latest"]}`))
		case strings.HasSuffix(r.URL.Path, "/manifests/2026-07-11"):
			w.Write([]byte(`{"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
				{"digest":"sha256:arm","platform":{"os":"linux","architecture":"arm64"}},
				{"digest":"sha256:amd","platform":{"os":"linux","architecture":"amd64"}}]}`))
		case strings.HasSuffix(r.URL.Path, "/manifests/sha256:amd"):
			w.Write([]byte(`{"layers":[{"digest":"sha256:l1","size":100},{"digest":"sha256:l2","size":2000}]}`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestLayerSizesThroughIndexAndToken(t *testing.T) {
	srv := hub(t)
	// Loopback registries are spoken to in plain HTTP, as engines do.
	host := strings.TrimPrefix(srv.URL, "http://")
	c := &Client{HTTP: srv.Client()}
	sizes, err := c.LayerSizes(context.Background(), host+"/vnmd/neurodesktop:2026-07-11", "amd64")
	if err != nil {
		t.Fatal(err)
	}
	if sizes["sha256:l1"] != 100 || sizes["sha256:l2"] != 2000 || len(sizes) != 2 {
		t.Errorf("sizes %v", sizes)
	}
	if _, err := c.LayerSizes(context.Background(), host+"/vnmd/neurodesktop:2026-07-11", "riscv64"); err == nil {
		t.Error("a missing platform was not reported")
	}
	if _, err := c.LayerSizes(context.Background(), host+"/vnmd/neurodesktop:nope", "amd64"); err == nil {
		t.Error("a missing tag was not reported")
	}
}

func TestBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"docker.io":       "https://registry-1.docker.io",
		"ghcr.io":         "https://ghcr.io",
		"127.0.0.1:5000":  "http://127.0.0.1:5000",
		"localhost:5000":  "http://localhost:5000",
		"[::1]:5000":      "http://[::1]:5000",
		"registry.lab:80": "https://registry.lab:80",
	} {
		if got := baseURL(in); got != want {
			t.Errorf("baseURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTagsAcrossPages(t *testing.T) {
	srv := hub(t)
	c := &Client{HTTP: srv.Client()}
	tags, err := c.Tags(t.Context(), strings.TrimPrefix(srv.URL, "http://")+"/vnmd/neurodesktop")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(tags, " ") != "2025-12-01 2026-01-02 2026-07-11 latest" {
		t.Errorf("tags %v", tags)
	}
}
