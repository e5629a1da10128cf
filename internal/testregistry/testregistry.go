// Package testregistry is a minimal read-only OCI distribution registry on
// 127.0.0.1, which Docker trusts over plain HTTP, so tests pull for real. It
// can misbehave on request: fail manifests, or drop a blob mid-transfer.
package testregistry

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/neurodesk/neurodeskapp/internal/testimage"
)

// Registry serves images added with Put.
type Registry struct {
	Addr string // host:port, e.g. 127.0.0.1:41234

	srv       *http.Server
	mu        sync.Mutex
	manifests map[string][]byte // "repo:tag" and "repo@digest"
	blobs     map[string]testimage.Blob
	requests  map[string]int   // "GET /v2/..." -> count
	dropBlob  map[string]int   // digest -> times to drop mid-transfer
	failUntil time.Time        // manifest requests before then get 503
	rate      int              // bytes per second for blobs; 0 = unlimited
	huge      map[string]int64 // digest -> size of a blob made as it is read
}

// Start listens on a free port on 127.0.0.1.
func Start() (*Registry, error) { return StartTLS("127.0.0.1:0", nil) }

// StartTLS listens on addr, with TLS when cert is given (a registry a
// test gives a real name to, such as ghcr.io through /etc/hosts).
func StartTLS(addr string, cert *tls.Certificate) (*Registry, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if cert != nil {
		l = tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12})
	}
	r := &Registry{Addr: l.Addr().String(), manifests: map[string][]byte{}, blobs: map[string]testimage.Blob{},
		requests: map[string]int{}, dropBlob: map[string]int{}, huge: map[string]int64{}}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 5 * time.Second}
	go r.srv.Serve(l) //nolint:errcheck // ends with Close
	return r, nil
}

// PutHuge makes repo:tag an image whose layers have the given sizes, their
// blobs made as they are read and never stored: a picture of a
// multi-gigabyte pull. Their digests are not their content's, so a pull of
// it never completes.
func (r *Registry) PutHuge(repo, tag string, sizes []int64) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var diffIDs, layers []string
	for i, size := range sizes {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s:%s layer %d", repo, tag, i)))
		digest := "sha256:" + hex.EncodeToString(sum[:])
		r.huge[digest] = size
		diffIDs = append(diffIDs, digest)
		layers = append(layers, fmt.Sprintf(`{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":%d,"digest":%q}`, size, digest))
	}
	ids, _ := json.Marshal(diffIDs)
	cfg := []byte(`{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":` + string(ids) + `}}`)
	csum := sha256.Sum256(cfg)
	config := testimage.Blob{Digest: "sha256:" + hex.EncodeToString(csum[:]), Data: cfg}
	r.blobs[config.Digest] = config
	r.manifests[repo+":"+tag] = []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",`+
		`"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%d,"digest":%q},"layers":[%s]}`,
		len(cfg), config.Digest, strings.Join(layers, ",")))
	return r.Addr + "/" + repo + ":" + tag
}

// pattern is an endless run of bytes that do not compress.
type pattern struct{}

func (pattern) ReadAt(p []byte, off int64) (int, error) {
	for i := range p {
		x := uint64(off+int64(i)) * 0x9E3779B97F4A7C15
		p[i] = byte(x >> 56)
	}
	return len(p), nil
}

// Close stops the server.
func (r *Registry) Close() error { return r.srv.Close() }

// Put makes img available as repo:tag and returns the full reference.
func (r *Registry) Put(repo, tag string, img testimage.Image) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.manifests[repo+":"+tag] = img.Manifest
	r.blobs[img.Config.Digest] = img.Config
	for _, l := range img.Layers {
		r.blobs[l.Digest] = l
	}
	return r.Addr + "/" + repo + ":" + tag
}

// DropBlob makes the next n transfers of digest stop halfway.
func (r *Registry) DropBlob(digest string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dropBlob[digest] = n
}

// FailManifestsFor answers manifest requests with 503 for the next d: by
// time rather than by count, so the test does not depend on how many
// requests an engine makes per attempt.
func (r *Registry) FailManifestsFor(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failUntil = time.Now().Add(d)
}

// Throttle limits blob transfers to bytesPerSec (0: no limit).
func (r *Registry) Throttle(bytesPerSec int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rate = bytesPerSec
}

// Requests counts the requests whose "METHOD path" contains substr.
func (r *Registry) Requests(substr string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for k, v := range r.requests {
		if strings.Contains(k, substr) {
			n += v
		}
	}
	return n
}

func (r *Registry) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.requests[req.Method+" "+req.URL.Path]++
	r.mu.Unlock()
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	p := req.URL.Path
	switch {
	case p == "/v2/" || p == "/v2":
		w.WriteHeader(http.StatusOK)
	case strings.HasSuffix(p, "/tags/list"):
		r.serveTags(w, req)
	case strings.Contains(p, "/manifests/"):
		r.serveManifest(w, req)
	case strings.Contains(p, "/blobs/"):
		r.serveBlob(w, req)
	default:
		http.NotFound(w, req)
	}
}

// serveTags lists a repository's tags, as the distribution API does.
func (r *Registry) serveTags(w http.ResponseWriter, req *http.Request) {
	name := strings.TrimSuffix(strings.TrimPrefix(req.URL.Path, "/v2/"), "/tags/list")
	r.mu.Lock()
	var tags []string
	for k := range r.manifests {
		if repo, tag, ok := strings.Cut(k, ":"); ok && repo == name {
			tags = append(tags, tag)
		}
	}
	r.mu.Unlock()
	if len(tags) == 0 {
		http.Error(w, `{"errors":[{"code":"NAME_UNKNOWN"}]}`, http.StatusNotFound)
		return
	}
	sort.Strings(tags)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"name": name, "tags": tags}) //nolint:errcheck
}

func (r *Registry) serveManifest(w http.ResponseWriter, req *http.Request) {
	name, ref, _ := strings.Cut(strings.TrimPrefix(req.URL.Path, "/v2/"), "/manifests/")
	r.mu.Lock()
	fail := time.Now().Before(r.failUntil)
	m, ok := r.manifests[name+":"+ref]
	if !ok && strings.HasPrefix(ref, "sha256:") {
		for k, v := range r.manifests {
			if strings.HasPrefix(k, name+":") && testimage.DigestOf(v) == ref {
				m, ok = v, true
			}
		}
	}
	r.mu.Unlock()
	if fail {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`)) //nolint:errcheck
		return
	}
	w.Header().Set("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
	w.Header().Set("Docker-Content-Digest", testimage.DigestOf(m))
	http.ServeContent(w, req, "", time.Time{}, bytes.NewReader(m))
}

func (r *Registry) serveBlob(w http.ResponseWriter, req *http.Request) {
	_, digest, _ := strings.Cut(req.URL.Path, "/blobs/")
	r.mu.Lock()
	b, ok := r.blobs[digest]
	drop := r.dropBlob[digest] > 0 && req.Method == http.MethodGet
	if drop {
		r.dropBlob[digest]--
	}
	rate := r.rate
	hugeSize, huge := r.huge[digest]
	r.mu.Unlock()
	if huge {
		w.Header().Set("Docker-Content-Digest", digest)
		w.Header().Set("Content-Type", "application/octet-stream")
		body := io.NewSectionReader(pattern{}, 0, hugeSize)
		if rate > 0 && req.Method == http.MethodGet {
			http.ServeContent(&slowWriter{ResponseWriter: w, rate: rate}, req, "", time.Time{}, body)
			return
		}
		http.ServeContent(w, req, "", time.Time{}, body)
		return
	}
	if !ok {
		http.NotFound(w, req)
		return
	}
	w.Header().Set("Docker-Content-Digest", digest)
	w.Header().Set("Content-Type", "application/octet-stream")
	if drop {
		w.Header().Set("Content-Length", strconv.Itoa(len(b.Data)))
		w.WriteHeader(http.StatusOK)
		w.Write(b.Data[:len(b.Data)/2]) //nolint:errcheck
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // closes the connection mid-body
	}
	var body = bytes.NewReader(b.Data)
	if rate > 0 && req.Method == http.MethodGet {
		http.ServeContent(&slowWriter{ResponseWriter: w, rate: rate}, req, "", time.Time{}, body)
		return
	}
	http.ServeContent(w, req, "", time.Time{}, body)
}

type slowWriter struct {
	http.ResponseWriter
	rate int
}

func (s *slowWriter) Write(p []byte) (int, error) {
	const chunk = 32 << 10
	n := 0
	for len(p) > 0 {
		c := min(chunk, len(p))
		m, err := s.ResponseWriter.Write(p[:c])
		n += m
		if err != nil {
			return n, err
		}
		s.ResponseWriter.(http.Flusher).Flush()
		time.Sleep(time.Duration(float64(c) / float64(s.rate) * float64(time.Second)))
		p = p[c:]
	}
	return n, nil
}
