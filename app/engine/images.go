package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
)

// Image is an image in the engine's store, under one of its names.
type Image struct {
	ID      string
	Ref     string // repository:tag
	Size    int64  // bytes on disk, layers shared with other images included
	Created time.Time
}

// ListImages returns the tagged images of repo (e.g. "docker.io/vnmd/neurodesktop"
// or "vnmd/neurodesktop"), one entry per tag.
func (e *Engine) ListImages(ctx context.Context, repo string) ([]Image, error) {
	list, err := e.api.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", repo))})
	if err != nil {
		return nil, fmt.Errorf("list images of %s: %w", repo, err)
	}
	var out []Image
	for _, s := range list {
		for _, ref := range s.RepoTags {
			out = append(out, Image{ID: s.ID, Ref: ref, Size: s.Size, Created: time.Unix(s.Created, 0)})
		}
	}
	return out, nil
}

// ImagesInUse returns the ids of images any container (running or not)
// was made from: those are never removed.
func (e *Engine) ImagesInUse(ctx context.Context) (map[string]bool, error) {
	list, err := e.api.ContainerList(ctx, container.ListOptions{All: true})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	used := map[string]bool{}
	for _, c := range list {
		used[c.ImageID] = true
	}
	return used, nil
}

// RemoveImage removes one name of an image, and the image when it was its
// last name; it never forces, so an image a container uses stays.
func (e *Engine) RemoveImage(ctx context.Context, ref string) error {
	if _, err := e.api.ImageRemove(ctx, ref, image.RemoveOptions{PruneChildren: true}); err != nil {
		return fmt.Errorf("remove image %s: %w", ref, err)
	}
	return nil
}

// ImagesDiskUsage is the space the engine reports its images' layers take.
func (e *Engine) ImagesDiskUsage(ctx context.Context) (int64, error) {
	du, err := e.api.DiskUsage(ctx, types.DiskUsageOptions{Types: []types.DiskUsageObject{types.ImageObject}})
	if err != nil {
		return 0, fmt.Errorf("read the engine's disk usage: %w", err)
	}
	return du.LayersSize, nil
}

// ImageDigest is what pins ref for a later run: its registry digest
// (repository@sha256:…) where it came from a registry, else its id (an
// image built or loaded here).
func (e *Engine) ImageDigest(ctx context.Context, ref string) (string, error) {
	in, err := e.api.ImageInspect(ctx, ref)
	if err != nil {
		return "", fmt.Errorf("inspect image %s: %w", ref, err)
	}
	if len(in.RepoDigests) > 0 {
		return in.RepoDigests[0], nil
	}
	return in.ID, nil
}
