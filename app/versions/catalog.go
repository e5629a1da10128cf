package versions

import (
	"context"
	"fmt"
	"time"

	"github.com/distribution/reference"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/release"
	"github.com/neurodesk/neurodeskapp/app/settings"
)

// Engine is what this package needs of the container engine.
type Engine interface {
	ListImages(ctx context.Context, repo string) ([]engine.Image, error)
	ImagesInUse(ctx context.Context) (map[string]bool, error)
	RemoveImage(ctx context.Context, ref string) error
	ImagesDiskUsage(ctx context.Context) (int64, error)
}

// Source is where the current version comes from (neurodesktop.toml).
type Source interface {
	Current() release.Version
	Refresh(ctx context.Context) (release.Version, error)
}

// TagLister reads the tags a repository offers.
type TagLister interface {
	Tags(ctx context.Context, repo string) ([]string, error)
}

// OnDisk is a Neurodesktop version in the engine.
type OnDisk struct {
	Tag   string   `json:"tag"`
	Refs  []string `json:"refs"` // its names: the repository's, the mirror's
	ID    string   `json:"id"`
	Size  int64    `json:"size"`
	InUse bool     `json:"in_use"` // a container was made from it
}

// Repos are the repositories whose images are Neurodesktop's.
func Repos(st settings.Settings) []string { return st.Repositories() }

// Local lists the Neurodesktop versions on disk, newest first. Only images
// of repos count: another repository's images are never listed, so never
// removed.
func Local(ctx context.Context, eng Engine, repos []string) ([]OnDisk, error) {
	used, err := eng.ImagesInUse(ctx)
	if err != nil {
		return nil, err
	}
	byTag := map[string]*OnDisk{}
	for _, repo := range repos {
		want, err := reference.ParseNormalizedNamed(repo)
		if err != nil {
			return nil, fmt.Errorf("repository %q: %w", repo, err)
		}
		imgs, err := eng.ListImages(ctx, reference.FamiliarName(want))
		if err != nil {
			return nil, err
		}
		for _, img := range imgs {
			named, err := reference.ParseNormalizedNamed(img.Ref)
			if err != nil || named.Name() != want.Name() {
				continue // the engine's filter is loose; we are not
			}
			tagged, ok := named.(reference.Tagged)
			if !ok {
				continue
			}
			d := byTag[tagged.Tag()]
			if d == nil {
				d = &OnDisk{Tag: tagged.Tag(), ID: img.ID}
				byTag[d.Tag] = d
			}
			d.Refs = append(d.Refs, img.Ref)
			d.Size = max(d.Size, img.Size)
			d.InUse = d.InUse || used[img.ID]
		}
	}
	var tags []string
	for t := range byTag {
		tags = append(tags, t)
	}
	var out []OnDisk
	for _, t := range Sort(tags) {
		out = append(out, *byTag[t])
	}
	return out, nil
}

// Tags are the versions' tags, in their order.
func Tags(ds []OnDisk) []string {
	var tags []string
	for _, d := range ds {
		tags = append(tags, d.Tag)
	}
	return tags
}

// Next is what a start would run now, given the current version, and the
// versions on disk it was chosen from.
func Next(ctx context.Context, eng Engine, st settings.Settings, current, override string) (Choice, []OnDisk, error) {
	local, err := Local(ctx, eng, Repos(st))
	if err != nil {
		return Choice{}, nil, err
	}
	return Choose(current, st.PinnedVersion, override, Tags(local)), local, nil
}

// Pick chooses the version a start on the stable channel runs (see
// Choose). When it must pull anyway, it first waits up to wait for the
// manifest, so a pull is always of the version the manifest names now; the
// returned Version says where the current version came from.
func Pick(ctx context.Context, eng Engine, src Source, st settings.Settings, override string, wait time.Duration) (Choice, release.Version, error) {
	cur := src.Current()
	c, local, err := Next(ctx, eng, st, cur.Tag, override)
	if err != nil {
		return Choice{}, release.Version{}, err
	}
	if c.Why != WhyPull || cur.Origin == release.OriginRemote {
		return c, cur, nil
	}
	rctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if fresh, err := src.Refresh(rctx); err == nil {
		cur = fresh
		c = Choose(cur.Tag, st.PinnedVersion, override, Tags(local))
	}
	return c, cur, nil
}
