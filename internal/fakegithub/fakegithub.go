// Package fakegithub answers the GitHub releases API for one repository,
// enough for the app's updater, so update tests run offline.
package fakegithub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path"
)

// Asset is a file attached to a release.
type Asset struct {
	Name string
	Data []byte
}

// Release is one release of the repository.
type Release struct {
	Tag        string
	Notes      string
	Draft      bool
	Prerelease bool
	Assets     []Asset
}

// Server is a fake GitHub with the releases of one repository.
type Server struct {
	*httptest.Server
}

// APIBase is the GitHub Enterprise-style API base URL to configure.
func (s *Server) APIBase() string { return s.URL + "/api/v3/" }

// New serves one release, tag (with notes), of repo and its assets.
func New(repo, tag, notes string, assets []Asset) *Server {
	return NewReleases(repo, []Release{{Tag: tag, Notes: notes, Assets: assets}})
}

// NewReleases serves several releases of repo, listed in the order given.
func NewReleases(repo string, rels []Release) *Server {
	mux := http.NewServeMux()
	s := &Server{Server: httptest.NewUnstartedServer(mux)}
	var all []Asset
	var list []map[string]any
	for ri, r := range rels {
		as := []map[string]any{}
		for _, a := range r.Assets {
			all = append(all, a)
			id := len(all)
			as = append(as, map[string]any{"id": id, "name": a.Name, "size": len(a.Data),
				"browser_download_url": fmt.Sprintf("%s/download/%s/%s", "{base}", r.Tag, a.Name),
				"url":                  fmt.Sprintf("%s/api/v3/repos/%s/releases/assets/%d", "{base}", repo, id)})
		}
		list = append(list, map[string]any{"id": ri + 1, "tag_name": r.Tag, "name": r.Tag, "body": r.Notes,
			"draft": r.Draft, "prerelease": r.Prerelease, "published_at": "2026-11-01T10:00:00Z",
			"html_url": "{base}/releases/" + r.Tag, "assets": as})
	}
	mux.HandleFunc("/api/v3/repos/"+repo+"/releases", func(w http.ResponseWriter, r *http.Request) {
		b, _ := json.Marshal(list)
		w.Header().Set("Content-Type", "application/json")
		w.Write(replaceBase(b, s.URL)) //nolint:errcheck
	})
	mux.HandleFunc("/api/v3/repos/"+repo+"/releases/assets/", func(w http.ResponseWriter, r *http.Request) {
		var id int
		fmt.Sscanf(path.Base(r.URL.Path), "%d", &id) //nolint:errcheck // a bad id is a 404 below
		if id < 1 || id > len(all) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(all[id-1].Data) //nolint:errcheck
	})
	s.Start()
	return s
}

func replaceBase(b []byte, base string) []byte {
	return bytes.ReplaceAll(b, []byte("{base}"), []byte(base))
}
