package engine

import (
	"context"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/volume"
)

// EnsureVolume creates the named volume with labels unless it exists; an
// existing volume (perhaps from the previous app) is used as it is. It
// returns when the volume was created, which tells a volume from a new one
// of the same name.
func (e *Engine) EnsureVolume(ctx context.Context, name string, labels map[string]string) (createdAt string, err error) {
	v, err := e.api.VolumeInspect(ctx, name)
	if err == nil {
		return v.CreatedAt, nil
	}
	if !cerrdefs.IsNotFound(err) {
		return "", fmt.Errorf("inspect volume %s: %w", name, err)
	}
	v, err = e.api.VolumeCreate(ctx, volume.CreateOptions{Name: name, Labels: labels})
	if err != nil {
		return "", fmt.Errorf("create volume %s: %w", name, err)
	}
	return v.CreatedAt, nil
}
