package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/problem"
)

// Ended is a session that stopped without the app stopping it: why, and
// the container's log where it could be kept.
type Ended struct {
	Err error // a *problem.Error that says how it ended
	// Stopped: someone stopped it on purpose (`neurodeskapp stop` from a
	// terminal, `docker stop` or `docker rm`), which is not a failure.
	Stopped bool
	LogFile string
	LogTail []string
}

// exitSIGTERM is the exit code of a process ended by SIGTERM, as `docker
// stop` ends one that does not exit 0 on it.
const exitSIGTERM = 128 + 15

// Check looks at a running session's container (ours: the session came
// from our own start or adoption): nil while it runs. When it has exited
// (killed, out of memory, Jupyter gone) its log is kept and it is removed,
// as after a failed start; a container removed from outside the app ends
// the session too. An engine that cannot answer is an error, not an end.
func (m *Manager) Check(ctx context.Context, s Info) (*Ended, error) {
	c, err := m.Engine.InspectContainer(ctx, s.ContainerID)
	if errors.Is(err, engine.ErrNotFound) {
		return &Ended{Stopped: true, Err: &problem.Error{Code: problem.ContainerExited,
			Message: "Neurodesktop was stopped outside the app (its container is gone)",
			Remedy:  "Start it again; the files in your data folder and home are kept."}}, nil
	}
	if err != nil {
		return nil, err
	}
	if c.Running {
		return nil, nil
	}
	stopped := !c.OOMKilled && (c.ExitCode == 0 || c.ExitCode == exitSIGTERM)
	e := &problem.Error{Code: problem.ContainerExited}
	switch {
	case stopped:
		e.Message = "Neurodesktop was stopped outside the app"
	case c.OOMKilled:
		e.Message = fmt.Sprintf("Neurodesktop ran out of memory and was stopped (exit code %d)", c.ExitCode)
		e.Remedy = "Raise the memory limit in Settings (or Docker Desktop's memory), or use less at once, then start it again."
	default:
		e.Message = fmt.Sprintf("Neurodesktop stopped on its own (exit code %d)", c.ExitCode)
		e.Remedy = "Read the container log below, then start it again. If it keeps stopping, report it with Copy diagnostics."
	}
	file, tail := m.keepLogs(ctx, c.ID, "ended")
	if err := m.Engine.RemoveContainer(ctx, c.ID); err != nil && !errors.Is(err, engine.ErrNotFound) {
		return nil, fmt.Errorf("remove the ended session's container: %w", err)
	}
	return &Ended{Err: e, Stopped: stopped, LogFile: file, LogTail: tail}, nil
}
