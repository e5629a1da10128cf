package session

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/settings"
)

// NewToken returns a random Jupyter token of 256 bits.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make a session token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// run creates and starts the session container and waits for JupyterLab.
// Whatever fails after the container exists, its logs are kept and the
// container (ours) is removed, so the next start begins clean. An engine
// that refuses a privileged container gets the minimal set CVMFS needs.
func (m *Manager) run(ctx context.Context, o StartOptions, img Image, names Names) (Info, error) {
	token, err := NewToken()
	if err != nil {
		return Info{}, err
	}
	// A remote engine picks the port on its own host (0 here).
	port := 0
	if m.Tunnel == nil {
		if port, err = engine.FreeLocalPort(); err != nil {
			return Info{}, err
		}
	}
	info := m.Engine.Info()
	gateway := ""
	if info.Kind == engine.KindPodman {
		gateway, _ = m.Engine.BridgeGateway(ctx) // "" falls back to host-gateway
	}
	st := o.Settings
	if st.Privileges == settings.PrivilegesFull && m.remembers(refusalKey(info)) {
		st.Privileges = settings.PrivilegesMinimal
		m.emit(o, Event{State: StateCreating, Message: FallbackNote})
	}
	for {
		spec := Spec(Params{Names: names, Settings: st, Image: img.Ref, Version: img.Version, Facts: m.Facts, Users: UsersFor(info, m.Facts),
			AppArmor: info.AppArmor, Gateway: gateway, HostPort: port, Token: token})
		id, err := m.create(ctx, spec)
		if err != nil {
			return Info{}, err
		}
		s := Info{ContainerID: id, Container: spec.Name, Image: img.Ref, Version: img.Version, DataFolder: st.DataFolder, WorkFolder: st.WorkFolder,
			BaseURL: fmt.Sprintf("http://127.0.0.1:%d", port), Token: token, Privileges: st.Privileges}
		m.emit(o, Event{State: StateStarting, Message: img.Ref})
		err = m.Engine.StartContainer(ctx, id)
		if refused(err) && st.Privileges == settings.PrivilegesFull {
			// Never started: nothing to keep but the reason.
			_ = m.Engine.RemoveContainer(context.WithoutCancel(ctx), id)
			m.remember(refusalKey(info))
			st.Privileges = settings.PrivilegesMinimal
			m.emit(o, Event{State: StateStarting, Message: FallbackNote})
			continue
		}
		if refused(err) {
			err = &problem.Error{Code: problem.PrivilegedRefused,
				Message: fmt.Sprintf("The container engine refused the privileges Neurodesktop needs to stream tools (%s)", st.Privileges),
				Remedy:  "This engine withholds capabilities from containers (common on managed or nested machines). Start offline instead: the tools already downloaded work without them.", Err: err}
		}
		if err == nil && m.Tunnel != nil {
			s.BaseURL, err = m.forwarded(ctx, id)
		}
		if err == nil {
			m.emit(o, Event{State: StateWaiting, Message: s.BaseURL})
			err = m.waitForJupyter(ctx, id, s)
		}
		if err != nil {
			return Info{}, m.abandon(ctx, id, err)
		}
		return s, nil
	}
}

// forwarded is the local URL of a started remote container's JupyterLab,
// once its host port is known.
func (m *Manager) forwarded(ctx context.Context, id string) (string, error) {
	c, err := m.Engine.InspectContainer(ctx, id)
	if err != nil {
		return "", err
	}
	port, err := m.localPort(ctx, c)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("http://127.0.0.1:%d", port), nil
}

// FallbackNote says why a session runs with less than full privileges.
const FallbackNote = "The container engine refuses privileged containers, so Neurodesktop runs with the minimal privileges CVMFS needs; streaming tools still works."

// refused reports whether the engine would not grant the container's
// privileges (runc cannot apply the capabilities, or the device is denied).
func refused(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "apply caps") || strings.Contains(msg, "operation not permitted") && strings.Contains(msg, "/dev/fuse")
}

// create makes the container, or says who holds its name.
func (m *Manager) create(ctx context.Context, spec engine.ContainerSpec) (string, error) {
	id, err := m.Engine.CreateContainer(ctx, spec)
	if errors.Is(err, engine.ErrNameInUse) {
		if c, ierr := m.Engine.InspectContainer(ctx, spec.Name); ierr == nil {
			if err := m.owns(c); err != nil {
				return "", err
			}
		}
		return "", &problem.Error{Code: problem.NameConflict, Message: "Another Neurodesk session is being started", Remedy: "Wait for it, or stop it and retry.", Err: err}
	}
	if err != nil && strings.Contains(err.Error(), "bind source path does not exist") {
		where := "this computer"
		if m.Engine.Info().Remote {
			where = "the engine's host (" + m.Engine.Info().OS + ")"
		}
		return "", &problem.Error{Code: problem.InvalidSettings, Message: "A folder to mount does not exist on " + where,
			Remedy: "Create it there, or choose another folder in Settings.", Err: err}
	}
	return id, err
}

// abandon keeps the logs of a container that failed to come up, then stops
// and removes it. It runs even when ctx was cancelled (the user pressed
// Cancel): a half-started container must not be left behind.
func (m *Manager) abandon(ctx context.Context, id string, cause error) error {
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	file, tail := m.keepLogs(bg, id, "failed")
	_ = m.Engine.StopContainer(bg, id, 10*time.Second)
	_ = m.Engine.RemoveContainer(bg, id)
	var ex *exitedError
	if errors.As(cause, &ex) {
		ex.tail, ex.file = tail, file
		return ex
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return &exitedError{err: cause, tail: tail, file: file}
}

// waitForJupyter waits for /api/status to answer, and fails at once when the
// container stops.
func (m *Manager) waitForJupyter(ctx context.Context, id string, s Info) error {
	timeout := m.ReadyTimeout
	if timeout == 0 {
		timeout = 10 * time.Minute
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	exited := make(chan struct{})
	var exitCode int
	go func() {
		code, err := m.Engine.WaitExit(wctx, id)
		if err == nil {
			exitCode = code
			close(exited)
		}
	}()
	err := waitReady(wctx, m.HTTP, s.BaseURL, s.Token, exited)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errExited):
		return &exitedError{err: &problem.Error{Code: problem.ContainerExited,
			Message: fmt.Sprintf("Neurodesktop stopped while starting (exit code %d)", exitCode),
			Remedy:  "Read the container log below. Retry, or report it with Copy diagnostics."}}
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, context.DeadlineExceeded):
		return &problem.Error{Code: problem.NotReady, Message: fmt.Sprintf("JupyterLab did not answer within %s", timeout),
			Remedy: "Read the container log, then retry. A first start can be slow while tools are mounted."}
	}
	return err
}

// keepLogs saves the container's log to LogDir and returns the file and its
// last lines. Failing to save is not a reason to hide the lines.
func (m *Manager) keepLogs(ctx context.Context, id, reason string) (string, []string) {
	var buf bytes.Buffer
	if err := m.Engine.Logs(ctx, id, "1000", false, &buf); err != nil {
		return "", []string{"(could not read the container log: " + err.Error() + ")"}
	}
	// Kept and shown with tokens hidden: older images print their login
	// address as the log's last lines.
	text := problem.Redact(buf.String())
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	if m.LogDir == "" {
		return "", lines
	}
	name := filepath.Join(m.LogDir, fmt.Sprintf("container-%s-%s.log", reason, m.now().UTC().Format("20060102T150405.000Z")))
	if err := os.MkdirAll(m.LogDir, 0o700); err != nil {
		return "", lines
	}
	if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
		return "", lines
	}
	pruneLogs(m.LogDir, keptLogs)
	return name, lines
}

// keptLogs is how many container logs are kept; older ones are removed.
const keptLogs = 30

// pruneLogs removes all but the newest keep container logs in dir. Their
// names sort by time.
func pruneLogs(dir string, keep int) {
	names, err := filepath.Glob(filepath.Join(dir, "container-*.log"))
	if err != nil || len(names) <= keep {
		return
	}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(logStamp(a), logStamp(b)) })
	for _, n := range names[:len(names)-keep] {
		_ = os.Remove(n)
	}
}

// logStamp is the time in a log's name (container-<reason>-<time>.log).
func logStamp(name string) string {
	base := strings.TrimSuffix(filepath.Base(name), ".log")
	return base[strings.LastIndexByte(base, '-')+1:]
}

// exitedError is a failed start with the container's last log lines.
type exitedError struct {
	err  error
	tail []string
	file string
}

func (e *exitedError) Error() string { return e.err.Error() }
func (e *exitedError) Unwrap() error { return e.err }

// LogTail returns the container log lines kept with a failed start, if any.
func LogTail(err error) (lines []string, file string) {
	var ex *exitedError
	if errors.As(err, &ex) {
		return ex.tail, ex.file
	}
	return nil, ""
}
