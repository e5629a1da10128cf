package session

import (
	"context"
	"fmt"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/problem"
)

// diskFactor is how much free space a pull needs per compressed byte: the
// download, plus its extraction, which is typically about twice as large.
const diskFactor = 3

// EnsureImage pulls the session's image unless it is present, reporting
// progress through o.OnEvent, and returns the reference to run.
func (m *Manager) EnsureImage(ctx context.Context, o StartOptions) (Image, error) {
	img, err := m.ensureImage(ctx, o)
	if err != nil {
		m.emit(o, Event{State: StateFailed, Message: err.Error(), Err: err})
	}
	return img, err
}

// ensureImage returns the first image reference that is present, or pulls
// them in order, moving on to the mirror when a registry cannot be reached
// or refuses us.
func (m *Manager) ensureImage(ctx context.Context, o StartOptions) (Image, error) {
	imgs := Images(o.Settings, o.Tag)
	for _, img := range imgs {
		ok, err := m.Engine.ImagePresent(ctx, img.Ref)
		if err != nil {
			return Image{}, err
		}
		if ok {
			return img, nil
		}
	}
	var lastErr error
	for _, img := range imgs {
		m.emit(o, Event{State: StatePulling, Message: img.Ref})
		err := m.pull(ctx, o, img.Ref)
		if err == nil {
			return img, nil
		}
		lastErr = err
		if problem.CodeOf(err) != problem.RegistryUnreachable {
			return Image{}, err
		}
	}
	return Image{}, lastErr
}

func (m *Manager) pull(ctx context.Context, o StartOptions, ref string) error {
	opts := engine.PullOptions{OnProgress: func(p engine.PullProgress) {
		m.emit(o, Event{State: StatePulling, Message: ref, Pull: &p})
	}}
	info := m.Engine.Info()
	if m.Sizes != nil {
		arch := info.Arch
		switch arch {
		case "x86_64", "":
			arch = "amd64"
		case "aarch64":
			arch = "arm64"
		}
		// A registry that does not answer here is tried again by the
		// engine's pull, which reports the real failure.
		if sizes, err := m.Sizes.LayerSizes(ctx, ref, arch); err == nil {
			opts.LayerSizes = sizes
			if err := m.checkDisk(info, sizes); err != nil {
				return err
			}
		}
	}
	return m.Engine.Pull(ctx, ref, opts)
}

// checkDisk refuses a pull that cannot fit in a local engine's data root.
func (m *Manager) checkDisk(info engine.Info, sizes map[string]int64) error {
	if !info.Local || m.FreeDisk == nil {
		return nil
	}
	var total int64
	for _, n := range sizes {
		total += n
	}
	free, err := m.FreeDisk(info.RootDir)
	if err != nil {
		return nil // not knowing is no reason to refuse
	}
	if need := uint64(total) * diskFactor; free < need {
		return &problem.Error{Code: problem.DiskFull,
			Message: fmt.Sprintf("Not enough disk space for the image: it needs about %s in %s, and %s is free", gib(need), info.RootDir, gib(free)),
			Remedy:  "Free disk space (docker system prune removes unused images), then retry."}
	}
	return nil
}

func gib(n uint64) string { return fmt.Sprintf("%.1f GB", float64(n)/(1<<30)) }
