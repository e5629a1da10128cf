package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/problem"
)

// ErrNoSession means no container of ours holds the session's name.
var ErrNoSession = errors.New("no Neurodesk session container exists")

// inspect returns the session container when it is ours: made by the app
// (LabelManaged), for this user (LabelOwner), with Jupyter published on
// 127.0.0.1 only. Anything else holding the name is reported, and must be
// left untouched by the caller.
//
// Where the contract's name is free or somebody else's, this person's
// session may run under a name of their own (shared.go).
func (m *Manager) inspect(ctx context.Context) (engine.Container, error) {
	c, err := m.inspectNamed(ctx, m.Names.Container)
	theirs := err != nil && m.someoneElses(c)
	if err == nil || !errors.Is(err, ErrNoSession) && !theirs {
		return c, err
	}
	if pc, perr := m.inspectNamed(ctx, m.personal().Container); !errors.Is(perr, ErrNoSession) {
		return pc, perr
	}
	if theirs {
		return engine.Container{}, fmt.Errorf("%w: %w", ErrNoSession, err) // theirs is not ours to report on
	}
	return c, err
}

func (m *Manager) inspectNamed(ctx context.Context, name string) (engine.Container, error) {
	c, err := m.Engine.InspectContainer(ctx, name)
	if errors.Is(err, engine.ErrNotFound) {
		return engine.Container{}, fmt.Errorf("%w: %w", ErrNoSession, err)
	}
	if err != nil {
		return engine.Container{}, err
	}
	return c, m.owns(c)
}

// owns says why c is not ours, or nil when it is.
func (m *Manager) owns(c engine.Container) error {
	if c.Labels[LabelManaged] != "true" {
		return foreignError(c)
	}
	if owner := c.Labels[LabelOwner]; owner != m.Facts.Owner {
		who := c.Labels[LabelOwnerName]
		if who == "" {
			who = "another user, or an older version of the app"
		}
		return &problem.Error{Code: problem.OtherUser,
			Message: fmt.Sprintf("The container %q belongs to %s, not to you", c.Name, who),
			Remedy:  "It was left untouched. Its owner can stop it; or give this app its own name with NEURODESKAPP_INSTANCE=<name>."}
	}
	for _, b := range c.Ports[JupyterPort] {
		if b.HostIP != "127.0.0.1" {
			return &problem.Error{Code: problem.NameConflict,
				Message: fmt.Sprintf("The container %q publishes JupyterLab on %s, beyond this computer; the app never makes such a container", c.Name, hostIPLabel(b.HostIP)),
				Remedy:  fmt.Sprintf("It was left untouched. If it is not needed, remove it yourself: docker rm -f %s", c.Name)}
		}
	}
	return nil
}

func hostIPLabel(ip string) string {
	if ip == "" || ip == "0.0.0.0" || ip == "::" {
		return "every network address"
	}
	return ip
}

func foreignError(c engine.Container) error {
	return &problem.Error{Code: problem.NameConflict,
		Message: fmt.Sprintf("A container named %q exists that the Neurodesk App did not create (image %s)", c.Name, c.Image),
		Remedy:  fmt.Sprintf("It was left untouched. If you no longer need it, remove it yourself: docker rm %s", c.Name)}
}

// Logs copies the session container's log to w: the last tail lines ("all"
// for everything), then new lines when follow is set, tokens hidden. It
// reads only our own container; ErrNoSession when there is none.
func (m *Manager) Logs(ctx context.Context, tail string, follow bool, w io.Writer) error {
	c, err := m.inspect(ctx)
	if err != nil {
		return err
	}
	rw := redactTo(w)
	if err := m.Engine.Logs(ctx, c.ID, tail, follow, rw); err != nil {
		return err
	}
	return rw.Flush()
}

// FollowStartLog waits for our container to run, then copies its log to w
// as it grows, until ctx ends: what a slow start is doing. It reads the
// whole log again each time rather than following it: Podman's follow
// can drop lines written while it switches from reading to waiting
// (containers/podman#17286, seen here in CI), and a start's log is small.
func (m *Manager) FollowStartLog(ctx context.Context, w io.Writer) error {
	id, sent := "", 0
	w = redactTo(w) // whole lines only: a token is never cut in two
	for {
		if id == "" {
			c, err := m.inspect(ctx)
			if err != nil && !errors.Is(err, ErrNoSession) {
				return err
			}
			if err == nil && c.Running {
				id = c.ID
			}
		}
		if id != "" {
			var buf bytes.Buffer
			if err := m.Engine.Logs(ctx, id, "all", false, &buf); err != nil {
				return err
			}
			if buf.Len() > sent {
				if _, err := w.Write(buf.Bytes()[sent:]); err != nil {
					return err
				}
				sent = buf.Len()
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
