package versions

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/release"
	"github.com/neurodesk/neurodeskapp/app/settings"
)

type fakeEngine struct {
	images  []engine.Image
	used    map[string]bool
	removed []string
	usage   int64
}

func (f *fakeEngine) ListImages(_ context.Context, repo string) ([]engine.Image, error) {
	return f.images, nil // as loose as an engine's filter can be
}
func (f *fakeEngine) ImagesInUse(context.Context) (map[string]bool, error) { return f.used, nil }
func (f *fakeEngine) RemoveImage(_ context.Context, ref string) error {
	if f.used[idOf(f, ref)] {
		return errors.New("image is being used by a container")
	}
	f.removed = append(f.removed, ref)
	for _, i := range f.images {
		if i.Ref == ref {
			f.usage -= i.Size
		}
	}
	return nil
}
func (f *fakeEngine) ImagesDiskUsage(context.Context) (int64, error) { return f.usage, nil }

func idOf(f *fakeEngine, ref string) string {
	for _, i := range f.images {
		if i.Ref == ref {
			return i.ID
		}
	}
	return ""
}

type fakeSource struct {
	current, fresh release.Version
	refreshed      bool
	delay          time.Duration
}

func (s *fakeSource) Current() release.Version { return s.current }
func (s *fakeSource) Refresh(ctx context.Context) (release.Version, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return release.Version{}, ctx.Err()
	}
	s.refreshed = true
	return s.fresh, nil
}

func disk() *fakeEngine {
	return &fakeEngine{usage: 100, used: map[string]bool{"sha256:b": true}, images: []engine.Image{
		{ID: "sha256:a", Ref: "vnmd/neurodesktop:2026-03-02", Size: 10},
		{ID: "sha256:b", Ref: "vnmd/neurodesktop:2026-07-11", Size: 20},
		{ID: "sha256:c", Ref: "vnmd/neurodesktop:2025-11-20", Size: 30},
		{ID: "sha256:d", Ref: "vnmd/neurodesktop:latest", Size: 5},
		{ID: "sha256:e", Ref: "ghcr.io/neurodesk/neurodesktop/neurodesktop:2026-08-01", Size: 40},
		{ID: "sha256:x", Ref: "vnmd/neurodesktop-dev:2026-09-09", Size: 50}, // another repository
		{ID: "sha256:y", Ref: "someone/else:2026-10-10", Size: 60},
	}}
}

func TestLocalKeepsToTheRepositories(t *testing.T) {
	local, err := Local(context.Background(), disk(), Repos(settings.Defaults("/d")))
	if err != nil {
		t.Fatal(err)
	}
	if got := Tags(local); !slices.Equal(got, []string{"2026-08-01", "2026-07-11", "2026-03-02", "2025-11-20", "latest"}) {
		t.Errorf("tags %v", got)
	}
	if !local[1].InUse || local[0].InUse {
		t.Errorf("in use: %+v", local)
	}
}

func TestPruneKeepsUsedPinnedAndNewest(t *testing.T) {
	eng := disk()
	st := settings.Defaults("/d")
	st.PinnedVersion = "2025-11-20"
	p, err := Prune(context.Background(), eng, st, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := Tags(p.Removed); !slices.Equal(got, []string{"2026-03-02", "latest"}) {
		t.Errorf("removed %v", got)
	}
	if got := Tags(p.Kept); !slices.Equal(got, []string{"2026-08-01", "2026-07-11", "2025-11-20"}) {
		t.Errorf("kept %v", got)
	}
	if p.Freed != 15 || p.AtMost {
		t.Errorf("freed %d (at most: %v), want 15 measured", p.Freed, p.AtMost)
	}
	for _, r := range eng.removed {
		if r == "vnmd/neurodesktop-dev:2026-09-09" || r == "someone/else:2026-10-10" {
			t.Errorf("removed another repository's image %s", r)
		}
	}
	dry, _ := Prune(context.Background(), disk(), st, true)
	if !dry.DryRun || len(dry.Removed) != 2 || dry.Freed != 15 || !dry.AtMost {
		t.Errorf("dry run %+v", dry)
	}
	// Podman 4 reports no layer sizes: the images' sizes are all there is.
	podman := disk()
	podman.usage = 0
	p, _ = Prune(context.Background(), podman, st, false)
	if len(p.Removed) != 2 || p.Freed != 15 || !p.AtMost {
		t.Errorf("on an engine without layer sizes: %+v", p)
	}
}

// TestPickWaitsForTheManifestOnlyToPull: with a version on disk a start
// never waits for the network; with nothing on disk it waits (bounded) so
// it pulls what the manifest names now, not a stale cached one.
func TestPickWaitsForTheManifestOnlyToPull(t *testing.T) {
	st := settings.Defaults("/d")
	src := &fakeSource{current: release.Version{Tag: "2026-07-11", Origin: release.OriginEmbedded},
		fresh: release.Version{Tag: "2026-12-01", Origin: release.OriginRemote}, delay: 50 * time.Millisecond}
	c, v, err := Pick(context.Background(), disk(), src, st, "", time.Second)
	if err != nil || c.Tag != "2026-07-11" || c.Why != WhyCurrent || src.refreshed || v.Origin != release.OriginEmbedded {
		t.Errorf("with the version on disk: %+v %+v refreshed=%v %v", c, v, src.refreshed, err)
	}
	empty := &fakeEngine{used: map[string]bool{}}
	c, v, _ = Pick(context.Background(), empty, src, st, "", time.Second)
	if c.Tag != "2026-12-01" || c.Why != WhyPull || v.Origin != release.OriginRemote {
		t.Errorf("nothing on disk: %+v from %+v", c, v)
	}
	src = &fakeSource{current: release.Version{Tag: "2026-07-11", Origin: release.OriginCache}, delay: time.Hour}
	start := time.Now()
	c, v, _ = Pick(context.Background(), empty, src, st, "", 100*time.Millisecond)
	if c.Tag != "2026-07-11" || v.Origin != release.OriginCache || time.Since(start) > time.Second {
		t.Errorf("manifest unreachable: %+v from %+v after %s", c, v, time.Since(start))
	}
}
