package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/settings"
)

// Engine is what a session needs of the container engine.
type Engine interface {
	Info() engine.Info
	ImagePresent(ctx context.Context, ref string) (bool, error)
	Pull(ctx context.Context, ref string, o engine.PullOptions) error
	InspectContainer(ctx context.Context, nameOrID string) (engine.Container, error)
	CreateContainer(ctx context.Context, s engine.ContainerSpec) (string, error)
	StartContainer(ctx context.Context, id string) error
	StopContainer(ctx context.Context, id string, timeout time.Duration) error
	RemoveContainer(ctx context.Context, id string) error
	WaitExit(ctx context.Context, id string) (int, error)
	Logs(ctx context.Context, id, tail string, follow bool, w io.Writer) error
	EnsureVolume(ctx context.Context, name string, labels map[string]string) (engine.Volume, error)
	RunOnce(ctx context.Context, s engine.ContainerSpec) (int, string, error)
	BridgeGateway(ctx context.Context) (string, error)
}

// Tunnel reaches ports of a remote engine's host from this machine.
type Tunnel interface {
	// Forward makes remotePort on the engine host's 127.0.0.1 answer on a
	// port of this machine's 127.0.0.1 while container id runs, and
	// returns that port.
	Forward(ctx context.Context, remotePort int, id string) (int, error)
	// Close ends every forward.
	Close(ctx context.Context) error
}

// LayerSizer reads an image's layer sizes from its registry.
type LayerSizer interface {
	LayerSizes(ctx context.Context, ref, arch string) (map[string]int64, error)
}

// Manager starts, adopts and stops the session on one engine.
type Manager struct {
	Engine       Engine
	Sizes        LayerSizer                        // nil: no disk-space check before pulls
	FreeDisk     func(path string) (uint64, error) // free space of a local folder
	HTTP         *http.Client                      // for readiness probes
	Facts        platform.Facts
	Names        Names         // the container and volume names; NamesFor("") for the contract's
	LogDir       string        // failed starts keep their container logs here
	ReadyTimeout time.Duration // how long JupyterLab may take to answer; default 10 minutes
	StopTimeout  time.Duration // graceful stop timeout; default 30s
	Memory       Memory        // nil: every start asks the engine again
	// Tunnel is set for an engine reached over SSH: JupyterLab is published
	// on that host's loopback and reached through it.
	Tunnel Tunnel
	Now    func() time.Time
	// IsPerson says whether a uid is an account of this computer; nil
	// looks it up (os/user).
	IsPerson func(uid int) bool
}

// StartOptions is one start request.
type StartOptions struct {
	Settings settings.Settings
	Tag      string // the stable channel's image tag, from neurodesktop.toml
	OnEvent  func(Event)
}

func (m *Manager) emit(o StartOptions, e Event) {
	if o.OnEvent != nil {
		e.At = m.now()
		o.OnEvent(e)
	}
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Start brings up JupyterLab and returns once it answers. When our container
// is already running it is adopted instead. The settings must be valid.
func (m *Manager) Start(ctx context.Context, o StartOptions) (Info, error) {
	info, err := m.start(ctx, o)
	if err != nil {
		ev := Event{State: StateFailed, Message: err.Error(), Err: err}
		ev.LogTail, ev.LogFile = LogTail(err)
		m.emit(o, ev)
		return Info{}, err
	}
	m.emit(o, Event{State: StateReady, Session: &info, Message: info.BaseURL})
	return info, nil
}

func (m *Manager) start(ctx context.Context, o StartOptions) (Info, error) {
	m.emit(o, Event{State: StateChecking, Message: m.Engine.Info().Kind.String() + " " + m.Engine.Info().ServerVersion})
	if err := m.reachable(); err != nil {
		return Info{}, err
	}
	info, found, name, err := m.adopt(ctx, o)
	if err != nil || found {
		return info, err
	}
	// A remote engine's data folder is a path on its host, not here.
	if !m.Engine.Info().Remote {
		if err := os.MkdirAll(o.Settings.DataFolder, 0o755); err != nil {
			return Info{}, &problem.Error{Code: problem.InvalidSettings, Message: "Could not create the data folder", Remedy: "Choose another data folder in Settings.", Err: err}
		}
	}
	img, err := m.ensureImage(ctx, o)
	if err != nil {
		return Info{}, err
	}
	m.emit(o, Event{State: StateCreating, Message: img.Ref})
	names := Names{Container: name}
	if names.HomeVolume, err = m.prepareHome(ctx, img.Ref); err != nil {
		return Info{}, err
	}
	return m.run(ctx, o, img, names)
}

// adopt attaches to our container when it is already running, clears away
// our stopped one (keeping its log), and refuses a container that is not ours.
// With none to adopt it says what a new one is named: the contract's name,
// or this person's own where somebody else's session holds that.
func (m *Manager) adopt(ctx context.Context, o StartOptions) (info Info, found bool, name string, err error) {
	c, err := m.inspect(ctx)
	if errors.Is(err, ErrNoSession) {
		if problem.CodeOf(err) == problem.OtherUser {
			return Info{}, false, m.personal().Container, nil
		}
		return Info{}, false, m.Names.Container, nil
	}
	if err != nil {
		return Info{}, false, "", err
	}
	if !c.Running {
		m.keepLogs(ctx, c.ID, "exited")
		if err := m.Engine.RemoveContainer(ctx, c.ID); err != nil {
			return Info{}, false, "", err
		}
		return Info{}, false, c.Name, nil
	}
	info, err = m.infoOf(ctx, c)
	if err != nil {
		return Info{}, false, "", err
	}
	m.emit(o, Event{State: StateWaiting, Message: "adopting the running session"})
	if err := m.waitForJupyter(ctx, c.ID, info); err != nil {
		return Info{}, false, "", err
	}
	return info, true, "", nil
}

// infoOf describes our running container c, reached from this machine.
func (m *Manager) infoOf(ctx context.Context, c engine.Container) (Info, error) {
	token, err := tokenOf(c)
	if err != nil {
		return Info{}, fmt.Errorf("adopt container %s: %w", c.Name, err)
	}
	port, err := m.localPort(ctx, c)
	if err != nil {
		return Info{}, err
	}
	return Info{ContainerID: c.ID, Container: c.Name, Image: c.Image, Version: c.Labels[LabelVersion], DataFolder: c.Labels[LabelDataFolder],
		WorkFolder: c.Labels[LabelWorkFolder], BaseURL: fmt.Sprintf("http://127.0.0.1:%d", port), Token: token, Adopted: true, Privileges: c.Labels[LabelPrivileges]}, nil
}

// localPort is the port of this machine that reaches c's JupyterLab: the
// published one, or for a remote engine a port forwarded to it.
func (m *Manager) localPort(ctx context.Context, c engine.Container) (int, error) {
	port := c.HostPort(JupyterPort)
	if port == 0 {
		return 0, fmt.Errorf("reach container %s: Jupyter's port is not published", c.Name)
	}
	if m.Tunnel == nil {
		return port, nil
	}
	local, err := m.Tunnel.Forward(ctx, port, c.ID)
	if err != nil {
		return 0, &problem.Error{Code: problem.EngineFailed, Message: "Could not forward JupyterLab's port from the engine's host",
			Remedy: "Check that SSH port forwarding is allowed on that host (AllowTcpForwarding in its sshd_config), then retry.", Err: err}
	}
	return local, nil
}

// reachable refuses an engine on another machine reached without SSH: what
// it publishes on that machine's loopback cannot be reached from here.
func (m *Manager) reachable() error {
	if i := m.Engine.Info(); i.Remote && m.Tunnel == nil {
		return &problem.Error{Code: problem.EngineRemoteNoSSH,
			Message: "The container engine is on another machine and reached without SSH: JupyterLab, which the app publishes only on that machine's 127.0.0.1, could not be reached from here",
			Remedy:  "Reach the engine over SSH instead: DOCKER_HOST=ssh://user@host, or a Docker context whose host is ssh://user@host."}
	}
	return nil
}

// Find returns our running session, if there is one, without changing anything.
func (m *Manager) Find(ctx context.Context) (Info, bool, error) {
	c, err := m.inspect(ctx)
	if errors.Is(err, ErrNoSession) {
		return Info{}, false, nil
	}
	if err != nil || !c.Running {
		return Info{}, false, err
	}
	info, err := m.infoOf(ctx, c)
	return info, err == nil, err
}

// Stop stops our container gracefully, keeps its log and removes it. It
// refuses a container that is not ours, and succeeds when there is nothing
// to stop.
func (m *Manager) Stop(ctx context.Context, onEvent func(Event)) error {
	o := StartOptions{OnEvent: onEvent}
	c, err := m.inspect(ctx)
	if errors.Is(err, ErrNoSession) {
		m.emit(o, Event{State: StateStopped})
		return nil
	}
	if err != nil {
		return err
	}
	m.emit(o, Event{State: StateStopping})
	timeout := m.StopTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	if err := m.Engine.StopContainer(ctx, c.ID, timeout); err != nil {
		return err
	}
	m.keepLogs(ctx, c.ID, "stopped")
	if err := m.Engine.RemoveContainer(ctx, c.ID); err != nil {
		return err
	}
	if m.Tunnel != nil {
		// The session is stopped either way; a connection left open is only noted.
		if err := m.Tunnel.Close(ctx); err != nil {
			slog.Warn("close the ssh connection to the engine", "error", err)
		}
	}
	m.emit(o, Event{State: StateStopped})
	return nil
}
