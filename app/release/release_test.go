package release

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	fixture, err := os.ReadFile("testdata/published.toml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"published file with other keys and tables", string(fixture), "2026-05-20", true},
		{"only the version", `jupyter_neurodesk_version = "2025-01-02"`, "2025-01-02", true},
		{"missing", `other = "x"`, "", false},
		{"not a tag", `jupyter_neurodesk_version = "2026-07-11; rm -rf /"`, "", false},
		{"leading dot", `jupyter_neurodesk_version = ".hidden"`, "", false},
		{"not a string", `jupyter_neurodesk_version = 20260711`, "", false},
		{"broken toml", `jupyter_neurodesk_version = "2026`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(tt.in))
			if (err == nil) != tt.ok || m.Version != tt.want {
				t.Errorf("Parse = %q, %v; want %q ok=%v", m.Version, err, tt.want, tt.ok)
			}
		})
	}
}

func TestEmbeddedIsValid(t *testing.T) {
	if v := Embedded(); v.Tag == "" || v.Origin != OriginEmbedded {
		t.Errorf("%+v", v)
	}
}

func source(t *testing.T, url string) *Source {
	return &Source{URL: url, CacheDir: filepath.Join(t.TempDir(), "cache"), HTTP: &http.Client{Timeout: 2 * time.Second}, Now: time.Now}
}

func TestRefreshCachesAndRevalidates(t *testing.T) {
	var hits, conditional atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("If-None-Match") == `"v1"` {
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Write([]byte("jupyter_neurodesk_version = \"2026-09-01\"\n[linux]\nbase = \"x\"\n"))
	}))
	defer srv.Close()
	s := source(t, srv.URL)
	if v := s.Current(); v.Origin != OriginEmbedded {
		t.Errorf("before any fetch: %+v", v)
	}
	v, err := s.Refresh(t.Context())
	if err != nil || v.Tag != "2026-09-01" || v.Origin != OriginRemote {
		t.Fatalf("refresh: %+v %v", v, err)
	}
	if v := s.Current(); v.Tag != "2026-09-01" || v.Origin != OriginCache || v.At.IsZero() {
		t.Errorf("current after refresh: %+v", v)
	}
	v, err = s.Refresh(t.Context())
	if err != nil || v.Tag != "2026-09-01" || conditional.Load() != 1 {
		t.Errorf("second refresh: %+v %v, conditional requests %d", v, err, conditional.Load())
	}
}

func TestRefreshFailuresKeepCache(t *testing.T) {
	good := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if good {
			w.Write([]byte(`jupyter_neurodesk_version = "2026-09-01"`))
			return
		}
		w.Write([]byte(`jupyter_neurodesk_version = "not valid!"`))
	}))
	defer srv.Close()
	s := source(t, srv.URL)
	if _, err := s.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	good = false
	if _, err := s.Refresh(t.Context()); err == nil || !strings.Contains(err.Error(), "valid") {
		t.Errorf("corrupt remote accepted: %v", err)
	}
	if v := s.Current(); v.Tag != "2026-09-01" || v.Origin != OriginCache {
		t.Errorf("corrupt remote replaced the cache: %+v", v)
	}
	s.URL = "http://127.0.0.1:1/neurodesktop.toml"
	if _, err := s.Refresh(t.Context()); err == nil {
		t.Error("unreachable URL did not fail")
	}
	if v := s.Current(); v.Tag != "2026-09-01" {
		t.Errorf("unreachable remote lost the cache: %+v", v)
	}
	os.WriteFile(filepath.Join(s.CacheDir, "neurodesktop.toml"), []byte("garbage = ["), 0o644)
	if v := s.Current(); v.Origin != OriginEmbedded {
		t.Errorf("corrupt cache: %+v, want the embedded copy", v)
	}
}

// TestRefreshRefusesOversizedManifest: a body past the limit is refused
// whole, not cut and cached.
func TestRefreshRefusesOversizedManifest(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("jupyter_neurodesk_version = \"2026-09-01\"\n# "))
		w.Write([]byte(strings.Repeat("x", maxManifest)))
	}))
	defer srv.Close()
	s := source(t, srv.URL)
	if _, err := s.Refresh(t.Context()); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("oversized manifest: %v", err)
	}
	if v := s.Current(); v.Origin != OriginEmbedded {
		t.Errorf("an oversized manifest was cached: %+v", v)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`jupyter_neurodesk_version = "2026-07-11"`))
	f.Add([]byte("[linux]\nbase=\"\"\"x\"\"\"\njupyter_neurodesk_version = 'a'"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err == nil && ValidTag(m.Version) != nil {
			t.Fatalf("accepted invalid tag %q", m.Version)
		}
	})
}
