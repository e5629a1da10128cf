package session

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/neurodesk/neurodeskapp/app/problem"
)

// ToolsState is where Neurodesk's tools (CVMFS) are in a running session.
// JupyterLab answers before they are there: from 2026 the image mounts
// them in the background (its deferred_startup.sh), up to minutes on a
// poor network.
type ToolsState string

const (
	ToolsConnecting ToolsState = "connecting"
	ToolsReady      ToolsState = "ready"
	ToolsOffline    ToolsState = "offline" // no network, or offline mode: downloaded tools only
	ToolsFailed     ToolsState = "failed"
)

// Tools is the tools' state, with what is being done or why.
type Tools struct {
	State  ToolsState `json:"state"`
	Detail string     `json:"detail,omitempty"`
}

// Final is true once the state will not change while the session runs.
func (t Tools) Final() bool { return t.State != ToolsConnecting }

// Execer runs a command in a container (engine.Engine.Exec).
type Execer interface {
	Exec(ctx context.Context, id string, cmd []string, limit int) (int, []byte, error)
}

// What the image leaves to read (neurodesktop's deferred_startup.sh).
const (
	toolsModules  = "/cvmfs/neurodesk.ardc.edu.au/neurodesk-modules"
	deferredLog   = "/tmp/neurodesktop-deferred-startup.log"
	deferredDone  = "/tmp/neurodesktop-deferred-startup.done"
	toolsLogLimit = 64 << 10
	// toolsSilence is how long an image that says nothing of its tools
	// (one from before the background worker) is taken to be connecting.
	toolsSilence = 5 * time.Minute
)

// Tools reads where the session's tools are, from inside its container
// (a FUSE mount is only seen from there): the tools' folder, else the
// background worker's log and end mark, else (eager mode) the container's
// own log.
func (m *Manager) Tools(ctx context.Context, ex Execer, i Info) (Tools, error) {
	c, err := m.Engine.InspectContainer(ctx, i.ContainerID)
	if err != nil {
		return Tools{}, err
	}
	if slices.Contains(c.Env, "CVMFS_DISABLE=true") {
		return Tools{State: ToolsOffline, Detail: "offline mode: the tools downloaded into Neurodesktop only"}, nil
	}
	if code, _, err := ex.Exec(ctx, c.ID, []string{"test", "-d", toolsModules}, 0); err != nil {
		return Tools{}, err
	} else if code == 0 {
		return Tools{State: ToolsReady}, nil
	}
	// The end mark first: a log read after it is whole (read before, it
	// could miss the worker's last line and take an ended worker for one
	// that said nothing).
	doneCode, _, err := ex.Exec(ctx, c.ID, []string{"test", "-e", deferredDone}, 0)
	if err != nil {
		return Tools{}, err
	}
	code, log, err := ex.Exec(ctx, c.ID, []string{"tail", "-c", "65536", deferredLog}, toolsLogLimit)
	if err != nil {
		return Tools{}, err
	}
	if code != 0 {
		log = nil // no worker (yet): what tail printed is its complaint
	}
	t := toolsFromLog(lastRun(string(log)), doneCode == 0)
	if t.State == ToolsConnecting && strings.Contains(string(log), "skipping deferred CVMFS") {
		// Eager mode: the mount ran before Jupyter, in the container's log.
		var buf bytes.Buffer
		if err := m.Engine.Logs(ctx, c.ID, "all", false, &buf); err != nil {
			return Tools{}, err
		}
		t = toolsFromLog(buf.String(), true)
	}
	if t.State == ToolsConnecting && log == nil && !c.StartedAt.IsZero() && m.now().Sub(c.StartedAt) > toolsSilence {
		t = Tools{State: ToolsFailed, Detail: "the tools were not mounted, and the image does not say why"}
	}
	return t, nil
}

// lastRun is the worker's log since it last started (the log outlives a
// restart of the same container).
func lastRun(log string) string {
	if i := strings.LastIndex(log, "[TIMING] wait-for-jupyter started"); i >= 0 {
		return log[i:]
	}
	return log
}

// toolsFromLog reads the lines the image prints as it mounts the tools;
// done says the worker has ended.
func toolsFromLog(log string, done bool) Tools {
	lines := strings.Split(log, "\n")
	has := func(s string) bool { return strings.Contains(log, s) }
	switch {
	case has("CVMFS is ready"):
		return Tools{State: ToolsReady}
	case has("No internet connection"):
		return Tools{State: ToolsOffline, Detail: "no internet connection: the tools downloaded into Neurodesktop only"}
	case has("CVMFS is disabled"):
		return Tools{State: ToolsOffline, Detail: "offline mode: the tools downloaded into Neurodesktop only"}
	case has("Manual CVMFS mount not successful"):
		why := "the mount failed"
		for _, l := range lines {
			if _, w, ok := strings.Cut(l, "[cvmfs-select] WARNING: "); ok {
				why = strings.TrimSpace(w)
			}
		}
		return Tools{State: ToolsFailed, Detail: problem.Redact(why)}
	case done && has("skipping deferred CVMFS"):
		return Tools{State: ToolsConnecting}
	case done:
		return Tools{State: ToolsFailed, Detail: "the tools were not mounted (see the container log)"}
	}
	t := Tools{State: ToolsConnecting, Detail: "starting"}
	for _, stage := range []struct{ line, detail string }{
		{"[TIMING] wait-for-jupyter started", "waiting for JupyterLab"},
		{"[TIMING] cvmfs-mount started", "connecting"},
		{"[cvmfs-select]", "finding the fastest server"},
		{"Mounting CVMFS", "mounting"},
		{"Re-probing servers and retrying", "retrying with other servers"},
	} {
		if has(stage.line) {
			t.Detail = stage.detail
		}
	}
	return t
}
