package versions

import (
	"context"
	"errors"
	"fmt"

	"github.com/neurodesk/neurodeskapp/app/settings"
)

// Pruned is what Prune removed (or would remove) and what it kept.
type Pruned struct {
	Removed []OnDisk `json:"removed"`
	Kept    []OnDisk `json:"kept"`
	// Freed is how much the engine says its image layers shrank; for a dry
	// run, at most this much (the sum of the images' sizes, which may share
	// layers with those kept).
	Freed  int64 `json:"freed"`
	DryRun bool  `json:"dry_run"`
	// AtMost: Freed is the images' sizes, not a measurement (a dry run, or
	// an engine that reports no layer sizes, as Podman 4 does).
	AtMost bool `json:"at_most"`
}

// PrunePlan splits the versions on disk (newest first) into those to
// remove and those to keep: kept are any a container uses, the pinned one,
// and the newest release on disk.
func PrunePlan(onDisk []OnDisk, pinned string) (remove, keep []OnDisk) {
	newest := ""
	for _, d := range onDisk {
		if IsRelease(d.Tag) {
			newest = d.Tag
			break
		}
	}
	for _, d := range onDisk {
		if d.InUse || d.Tag == pinned || d.Tag == newest {
			keep = append(keep, d)
		} else {
			remove = append(remove, d)
		}
	}
	return remove, keep
}

// Prune removes the Neurodesktop images of the configured repositories that
// PrunePlan does not keep. It never forces, never touches another
// repository's images, a volume, or the data folder.
func Prune(ctx context.Context, eng Engine, st settings.Settings, dryRun bool) (Pruned, error) {
	local, err := Local(ctx, eng, Repos(st))
	if err != nil {
		return Pruned{}, err
	}
	remove, keep := PrunePlan(local, st.PinnedVersion)
	p := Pruned{Kept: keep, DryRun: dryRun, AtMost: dryRun}
	if dryRun {
		p.Removed = remove
		for _, d := range remove {
			p.Freed += d.Size
		}
		return p, nil
	}
	before, err := eng.ImagesDiskUsage(ctx)
	if err != nil {
		return Pruned{}, err
	}
	var errs []error
	for _, d := range remove {
		var failed error
		for _, ref := range d.Refs {
			if err := eng.RemoveImage(ctx, ref); err != nil {
				failed = err
			}
		}
		if failed != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.Tag, failed))
			continue
		}
		p.Removed = append(p.Removed, d)
	}
	if before == 0 {
		for _, d := range p.Removed {
			p.Freed += d.Size
		}
		p.AtMost = true
	} else if after, err := eng.ImagesDiskUsage(ctx); err == nil && after < before {
		p.Freed = before - after
	}
	return p, errors.Join(errs...)
}
