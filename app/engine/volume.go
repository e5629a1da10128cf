package engine

import (
	"context"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/volume"
)

// Volume is a named volume as EnsureVolume found or made it.
type Volume struct {
	CreatedAt string // tells a volume from a new one of the same name
	Labels    map[string]string
}

// EnsureVolume creates the named volume with labels unless it exists; an
// existing volume (perhaps from the previous app) is used as it is, and
// returned with its own labels.
func (e *Engine) EnsureVolume(ctx context.Context, name string, labels map[string]string) (Volume, error) {
	v, err := e.api.VolumeInspect(ctx, name)
	if err == nil {
		return Volume{CreatedAt: v.CreatedAt, Labels: v.Labels}, nil
	}
	if !cerrdefs.IsNotFound(err) {
		return Volume{}, fmt.Errorf("inspect volume %s: %w", name, err)
	}
	v, err = e.api.VolumeCreate(ctx, volume.CreateOptions{Name: name, Labels: labels})
	if err != nil {
		return Volume{}, fmt.Errorf("create volume %s: %w", name, err)
	}
	return Volume{CreatedAt: v.CreatedAt, Labels: v.Labels}, nil
}
