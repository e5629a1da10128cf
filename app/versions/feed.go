package versions

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/neurodesk/neurodeskapp/app/atomicfile"
	"github.com/neurodesk/neurodeskapp/app/release"
)

// Feed decides the current Neurodesktop version from every place upstream
// publishes it: the website's neurodesktop.toml, the GitHub releases of
// neurodesk/neurodesktop, and the registry's tags. The current version is
// the newest that a source names and the registry has, and never older
// than one the app already knew: a stale, rolled-back or dead source
// cannot move anyone backwards, and a dead one does not freeze anyone on
// the version built into the app while another still answers.
type Feed struct {
	Manifest *release.Source
	Releases *release.Releases
	Registry TagLister
	Repos    []string // where the registry's tags are read, in order
	Dir      string   // the cache folder: the decision and what each source said
	Now      func() time.Time
}

// Source names, as reports show them.
const (
	SourceManifest = "neurodesktop.toml"
	SourceReleases = "GitHub releases"
	SourceRegistry = "registry"
)

// SourceReport is what one source said, and when; Error is why it could
// not be asked this time (Tag is then what it said before).
type SourceReport struct {
	Name  string    `json:"name"`
	URL   string    `json:"url"`
	Tag   string    `json:"tag,omitempty"`
	At    time.Time `json:"at,omitzero"`
	Error string    `json:"error,omitempty"`
}

type feedState struct {
	Current   string         `json:"current"`
	DecidedAt time.Time      `json:"decided_at"`
	Sources   []SourceReport `json:"sources"`
}

func (f *Feed) path() string { return filepath.Join(f.Dir, "neurodesktop-version.json") }

func (f *Feed) read() feedState {
	var st feedState
	if b, err := os.ReadFile(f.path()); err == nil {
		_ = json.Unmarshal(b, &st) // unreadable: decided again at the next refresh
	}
	if release.ValidTag(st.Current) != nil {
		st.Current = ""
	}
	return st
}

// floor is the newest dated version the app knows of: what it decided
// before, or the one built into it.
func (f *Feed) floor(st feedState) string {
	if e := release.Embedded().Tag; Newer(e, st.Current) || !IsRelease(st.Current) {
		return e
	}
	return st.Current
}

// Current is the version last decided, without asking anyone.
func (f *Feed) Current() release.Version {
	if st := f.read(); st.Current != "" {
		return release.Version{Tag: st.Current, Origin: release.OriginCache, At: st.DecidedAt}
	}
	if m := f.Manifest.Current(); !Newer(release.Embedded().Tag, m.Tag) {
		return m // decided by an earlier app from the toml alone
	}
	return release.Embedded()
}

// Sources is what each source said at the last refresh.
func (f *Feed) Sources() []SourceReport { return f.read().Sources }

// Refresh asks every source (GitHub at most once an hour) and decides.
func (f *Feed) Refresh(ctx context.Context) (release.Version, error) { return f.refresh(ctx, true) }

// ForStart is the feed as a start may use it while it waits: GitHub's
// answer is taken from the cache, so its hourly call is never on the way.
func (f *Feed) ForStart() Source { return startFeed{f} }

type startFeed struct{ f *Feed }

func (s startFeed) Current() release.Version { return s.f.Current() }
func (s startFeed) Refresh(ctx context.Context) (release.Version, error) {
	return s.f.refresh(ctx, false)
}

func (f *Feed) refresh(ctx context.Context, askGitHub bool) (release.Version, error) {
	st := f.read()
	now := f.Now()
	var reports []SourceReport
	answered := false

	m := SourceReport{Name: SourceManifest, URL: f.Manifest.URL}
	if v, err := f.Manifest.Refresh(ctx); err == nil {
		m.Tag, m.At, answered = v.Tag, v.At, true
	} else if c := f.Manifest.Current(); c.Origin == release.OriginCache {
		m.Tag, m.At, m.Error = c.Tag, c.At, err.Error()
	} else {
		m.Error = err.Error()
	}
	reports = append(reports, m)

	r := SourceReport{Name: SourceReleases, URL: f.Releases.URL}
	said := f.Releases.Cached()
	if askGitHub {
		var err error
		if said, err = f.Releases.Refresh(ctx); err == nil {
			// Within the hour GitHub is not asked again: its last answer
			// counts, when it ever gave one.
			answered = answered || !said.At.IsZero()
		} else {
			said, r.Error = f.Releases.Cached(), err.Error()
		}
	}
	r.Tag, r.At = said.Tag, said.At
	reports = append(reports, r)

	current, reg := f.decide(ctx, st, m.Tag, said.Stable, now)
	if reg != nil {
		reports = append(reports, *reg)
		answered = answered || reg.Error == ""
	}
	if !answered {
		// Nothing online said anything: what was known stays, as known
		// (the cache's, or the embedded one), never shown as checked.
		return f.Current(), errors.New("no source of the current Neurodesktop version answered")
	}
	st = feedState{Current: current, DecidedAt: now, Sources: reports}
	if b, err := json.Marshal(st); err == nil {
		if err := os.MkdirAll(f.Dir, 0o755); err == nil {
			_ = atomicfile.Write(f.path(), b, 0o644) // unwritten: decided again next time
		}
	}
	return release.Version{Tag: current, Origin: release.OriginRemote, At: now}, nil
}

// decide picks the current version from what the toml and GitHub named.
// Dated versions are compared: the newest the registry has among them and
// the newest the app knew (what it decided before, or was built with),
// which is how nobody moves back. A toml that names a tag of another kind
// (a site's own build) is taken as it is.
func (f *Feed) decide(ctx context.Context, st feedState, toml string, github []string, now time.Time) (string, *SourceReport) {
	if toml != "" && !IsRelease(toml) {
		return toml, nil
	}
	floor := f.floor(st)
	candidates := []string{floor}
	for _, t := range append([]string{toml}, github...) {
		if IsRelease(t) {
			candidates = append(candidates, t)
		}
	}
	candidates = Sort(candidates)
	if candidates[0] == st.Current {
		return st.Current, nil // the newest is what the registry had when it was chosen
	}
	has, reg := f.registryHas(ctx, now)
	for _, tag := range candidates {
		if has == nil || has[tag] { // a registry out of reach cannot say no
			return tag, &reg
		}
	}
	return floor, &reg
}

// registryHas reads which tags the registry has (the repository, else its
// mirrors); nil when none could be read.
func (f *Feed) registryHas(ctx context.Context, now time.Time) (map[string]bool, SourceReport) {
	rep := SourceReport{Name: SourceRegistry}
	for _, repo := range f.Repos {
		tags, err := f.Registry.Tags(ctx, repo)
		if err != nil {
			if rep.Error == "" {
				rep.URL, rep.Error = repo, err.Error()
			}
			continue
		}
		has := map[string]bool{}
		for _, t := range tags {
			has[t] = true
		}
		rep = SourceReport{Name: SourceRegistry, URL: repo, At: now}
		if sorted := Sort(tags); len(sorted) > 0 && IsRelease(sorted[0]) {
			rep.Tag = sorted[0]
		}
		return has, rep
	}
	return nil, rep
}
