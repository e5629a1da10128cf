package engine

import (
	"context"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/volume"
)

// EnsureVolume creates the named volume with labels unless it exists; an
// existing volume (perhaps from the previous app) is used as it is.
func (e *Engine) EnsureVolume(ctx context.Context, name string, labels map[string]string) (created bool, err error) {
	_, err = e.api.VolumeInspect(ctx, name)
	if err == nil {
		return false, nil
	}
	if !cerrdefs.IsNotFound(err) {
		return false, fmt.Errorf("inspect volume %s: %w", name, err)
	}
	if _, err := e.api.VolumeCreate(ctx, volume.CreateOptions{Name: name, Labels: labels}); err != nil {
		return false, fmt.Errorf("create volume %s: %w", name, err)
	}
	return true, nil
}
