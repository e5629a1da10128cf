// Package fakegithub answers the GitHub releases API for one repository,
// enough for go-selfupdate's GitHub source, so update tests run offline.
package fakegithub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path"
)

// Asset is a file attached to the release.
type Asset struct {
	Name string
	Data []byte
}

// Server is a fake GitHub with one release of repo (owner/name).
type Server struct {
	*httptest.Server
}

// APIBase is the GitHub Enterprise-style API base URL to configure.
func (s *Server) APIBase() string { return s.URL + "/api/v3/" }

// New serves release tag (with notes) of repo and its assets.
func New(repo, tag, notes string, assets []Asset) *Server {
	mux := http.NewServeMux()
	s := &Server{Server: httptest.NewUnstartedServer(mux)}
	mux.HandleFunc("/api/v3/repos/"+repo+"/releases", func(w http.ResponseWriter, r *http.Request) {
		as := []map[string]any{}
		for i, a := range assets {
			as = append(as, map[string]any{"id": i + 1, "name": a.Name, "size": len(a.Data),
				"browser_download_url": s.URL + "/download/" + a.Name,
				"url":                  fmt.Sprintf("%s/api/v3/repos/%s/releases/assets/%d", s.URL, repo, i+1)})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode([]map[string]any{{"id": 1, "tag_name": tag, "name": tag, "body": notes, //nolint:errcheck
			"draft": false, "prerelease": false, "published_at": "2026-11-01T10:00:00Z", "html_url": s.URL + "/releases/" + tag, "assets": as}})
	})
	mux.HandleFunc("/api/v3/repos/"+repo+"/releases/assets/", func(w http.ResponseWriter, r *http.Request) {
		var id int
		fmt.Sscanf(path.Base(r.URL.Path), "%d", &id) //nolint:errcheck // a bad id is a 404 below
		if id < 1 || id > len(assets) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(assets[id-1].Data) //nolint:errcheck
	})
	s.Start()
	return s
}
