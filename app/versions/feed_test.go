package versions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/neurodesk/neurodeskapp/app/release"
)

// upstream stands in for the places Neurodesktop's version is published.
type upstream struct {
	mu        sync.Mutex
	toml      string // "" answers 404
	releases  string // GitHub's JSON; "" answers 503
	tags      []string
	tagsErr   error
	githubHit int
	etag      string
}

func (u *upstream) Tags(context.Context, string) ([]string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.tags, u.tagsErr
}

func (u *upstream) set(f func(*upstream)) { u.mu.Lock(); f(u); u.mu.Unlock() }

func ghRelease(tag string, draft, pre bool) string {
	return fmt.Sprintf(`{"tag_name":%q,"draft":%v,"prerelease":%v,"body":"notes"}`, tag, draft, pre)
}

func newFeed(t *testing.T, u *upstream, now *time.Time) *Feed {
	toml := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		u.mu.Lock()
		defer u.mu.Unlock()
		if u.toml == "" {
			http.NotFound(w, nil)
			return
		}
		fmt.Fprintf(w, "jupyter_neurodesk_version = %q\n", u.toml)
	}))
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		defer u.mu.Unlock()
		u.githubHit++
		if u.releases == "" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if u.etag != "" && r.Header.Get("If-None-Match") == u.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		u.etag = fmt.Sprintf(`"%d"`, len(u.releases))
		w.Header().Set("ETag", u.etag)
		fmt.Fprint(w, u.releases)
	}))
	t.Cleanup(toml.Close)
	t.Cleanup(gh.Close)
	dir := t.TempDir()
	clock := func() time.Time { return *now }
	m := release.NewSource(toml.URL, "", dir)
	m.Now = clock
	r := release.NewReleases(gh.URL, dir)
	r.Now = clock
	return &Feed{Manifest: m, Releases: r, Registry: u, Repos: []string{"docker.io/vnmd/neurodesktop"}, Dir: dir, Now: clock}
}

// TestFeedNeverMovesBack: the current version is the newest a source
// names that the registry has; a stale, rolled-back or dead source moves
// nobody back, and a dead one freezes nobody.
func TestFeedNeverMovesBack(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	embedded := release.Embedded().Tag
	u := &upstream{
		toml: "2025-06-08", // the last indexed copy: a year behind
		releases: "[" + ghRelease("2026-10-30", false, true) + "," + ghRelease("2026-11-02", true, false) + "," +
			ghRelease("2026-09-23", false, false) + "," + ghRelease("2026-07-11", false, false) + "," + ghRelease("nightly", false, false) + "]",
		tags: []string{"2026-09-23", "2026-07-11", "2025-06-08", "latest", "2026-10-30"},
	}
	f := newFeed(t, u, &now)
	if c := f.Current(); c.Tag != embedded || c.Origin != release.OriginEmbedded {
		t.Errorf("before any source answered: %+v, want the embedded %s", c, embedded)
	}
	step := func(what, want string) {
		t.Helper()
		v, err := f.Refresh(context.Background())
		if err != nil || v.Tag != want {
			t.Errorf("%s: refresh gave %q (%v), want %s", what, v.Tag, err, want)
		}
		if c := f.Current(); c.Tag != want {
			t.Errorf("%s: then Current is %q, want %s", what, c.Tag, want)
		}
	}
	// GitHub's newest stable release (not the prerelease, draft or "nightly").
	step("a stale toml, GitHub up to date", "2026-09-23")
	var sources []string
	for _, s := range f.Sources() {
		sources = append(sources, fmt.Sprintf("%s=%s", s.Name, s.Tag))
	}
	if fmt.Sprint(sources) != "[neurodesktop.toml=2025-06-08 GitHub releases=2026-09-23 registry=2026-10-30]" {
		t.Errorf("the sources said %v", sources)
	}

	// A release the registry does not have yet is not the current one.
	now = now.Add(2 * time.Hour)
	u.set(func(u *upstream) {
		u.releases = "[" + ghRelease("2026-12-01", false, false) + "]"
		u.toml = "2026-11-15"
	})
	step("released, not yet pushed", "2026-09-23")
	u.set(func(u *upstream) { u.tags = append(u.tags, "2026-11-15") })
	now = now.Add(2 * time.Hour)
	step("the toml's version pushed", "2026-11-15")

	// Rolled back, then every source dead: nobody moves back.
	now = now.Add(2 * time.Hour)
	u.set(func(u *upstream) { u.toml, u.releases = "2026-07-11", "["+ghRelease("2026-07-11", false, false)+"]" })
	step("sources rolled back", "2026-11-15")
	now = now.Add(2 * time.Hour)
	u.set(func(u *upstream) { u.toml, u.releases = "", "" })
	if v, err := f.Refresh(context.Background()); err == nil || v.Tag != "2026-11-15" {
		t.Errorf("every source dead: %+v %v, want an error and 2026-11-15", v, err)
	}
	if s := f.Sources(); len(s) < 2 || s[0].Error == "" && s[1].Error == "" {
		t.Logf("sources after the failure: %+v", s) // the last successful report stays
	}

	// A registry out of reach cannot say no: the newest named version.
	u.set(func(u *upstream) { u.toml, u.tagsErr = "2026-12-24", errors.New("registry unreachable") })
	step("registry out of reach", "2026-12-24")
}

// TestFeedAsksGitHubHourly: GitHub is asked at most once an hour, with the
// last answer's ETag; a start never waits for it.
func TestFeedAsksGitHubHourly(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	u := &upstream{toml: "2026-09-23", releases: "[" + ghRelease("2026-09-23", false, false) + "]", tags: []string{"2026-09-23"}}
	f := newFeed(t, u, &now)
	for i := 0; i < 3; i++ {
		f.Refresh(context.Background())
		now = now.Add(10 * time.Minute)
	}
	if u.githubHit != 1 {
		t.Errorf("GitHub was asked %d times within the hour", u.githubHit)
	}
	now = now.Add(time.Hour)
	if v, err := f.Refresh(context.Background()); err != nil || v.Tag != "2026-09-23" || u.githubHit != 2 {
		t.Errorf("after the hour: %+v %v, GitHub asked %d times", v, err, u.githubHit)
	}
	now = now.Add(2 * time.Hour)
	f.ForStart().Refresh(context.Background())
	if u.githubHit != 2 {
		t.Error("a start's refresh asked GitHub")
	}
}
