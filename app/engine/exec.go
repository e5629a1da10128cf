package engine

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
)

// Exec runs cmd (an argument list: no shell reads it) in running container
// id as the container's user, and returns its exit code and the first limit
// bytes of what it printed (stdout and stderr together).
func (e *Engine) Exec(ctx context.Context, id string, cmd []string, limit int) (int, []byte, error) {
	created, err := e.api.ContainerExecCreate(ctx, id, container.ExecOptions{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return 0, nil, fmt.Errorf("run %s in %s: %w", cmd[0], short(id), err)
	}
	att, err := e.api.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{})
	if err != nil {
		return 0, nil, fmt.Errorf("run %s in %s: %w", cmd[0], short(id), err)
	}
	defer att.Close()
	out := &capped{limit: limit}
	if _, err := stdcopy.StdCopy(out, out, att.Reader); err != nil && ctx.Err() == nil {
		return 0, nil, fmt.Errorf("read %s's output in %s: %w", cmd[0], short(id), err)
	}
	r, err := e.api.ContainerExecInspect(ctx, created.ID)
	if err != nil {
		return 0, nil, fmt.Errorf("run %s in %s: %w", cmd[0], short(id), err)
	}
	return r.ExitCode, out.b, nil
}

// capped keeps the first limit bytes written to it and drops the rest, so
// a chatty command cannot fill the app's memory.
type capped struct {
	b     []byte
	limit int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.limit - len(c.b); room > 0 {
		c.b = append(c.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
