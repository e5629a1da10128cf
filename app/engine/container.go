package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/versions"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/docker/go-connections/nat"
)

// ContainerSpec is everything we ask of a container, in our own terms.
type ContainerSpec struct {
	Name        string
	Image       string
	Labels      map[string]string
	Env         []string
	Cmd         []string
	Entrypoint  []string
	User        string
	Privileged  bool
	CapAdd      []string
	Devices     []string // host device paths, mapped to the same path, rwm
	ShmSize     int64
	ExtraHosts  []string
	MacAddress  string
	SecurityOpt []string
	UsernsMode  string // "keep-id:…" on rootless Podman; "" is the engine's default
	Mounts      []Mount
	// Publish maps a container TCP port to a host address.
	Publish []PortBinding
	GPU     bool
	NanoCPU int64
	Memory  int64
}

// Mount is a bind mount (Source is a host path) or a named volume.
type Mount struct {
	Volume   bool
	Source   string
	Target   string
	ReadOnly bool
}

// PortBinding publishes ContainerPort on HostIP:HostPort.
type PortBinding struct {
	ContainerPort int
	HostIP        string
	HostPort      int
}

// Container is what we read back from an existing container.
type Container struct {
	ID       string
	Name     string
	Image    string
	Labels   map[string]string
	Path     string // the process the engine started, and its arguments
	Args     []string
	Cmd      []string
	Env      []string
	Running  bool
	Status   string // created, running, exited, ...
	ExitCode int
	// StartedAt is when it last started (zero if it never did).
	StartedAt time.Time
	// OOMKilled: the kernel ended it for using more memory than allowed.
	OOMKilled bool
	// Ports maps container ports to where they are published on the host
	// (as configured, so a stopped container has them too).
	Ports map[int][]PortBinding
}

// dockerConfig translates a spec into the API's types. The MAC address moved
// from the container config to the endpoint settings in API 1.44, so where it
// goes depends on the version negotiated with this engine. Podman's compat
// API (4.x speaks 1.41) ignores the config's field and takes it only on its
// default network, which is named "podman", not "bridge".
func dockerConfig(s ContainerSpec, apiVersion string, kind Kind) (*container.Config, *container.HostConfig, *network.NetworkingConfig) {
	cfg := &container.Config{
		Image:        s.Image,
		Labels:       s.Labels,
		Env:          s.Env,
		Cmd:          s.Cmd,
		Entrypoint:   s.Entrypoint,
		User:         s.User,
		ExposedPorts: nat.PortSet{},
	}
	hc := &container.HostConfig{
		Privileged:   s.Privileged,
		CapAdd:       s.CapAdd,
		ShmSize:      s.ShmSize,
		ExtraHosts:   s.ExtraHosts,
		SecurityOpt:  s.SecurityOpt,
		UsernsMode:   container.UsernsMode(s.UsernsMode),
		PortBindings: nat.PortMap{},
		Resources:    container.Resources{NanoCPUs: s.NanoCPU, Memory: s.Memory},
	}
	for _, p := range s.Publish {
		port := nat.Port(strconv.Itoa(p.ContainerPort) + "/tcp")
		cfg.ExposedPorts[port] = struct{}{}
		hc.PortBindings[port] = append(hc.PortBindings[port], nat.PortBinding{HostIP: p.HostIP, HostPort: strconv.Itoa(p.HostPort)})
	}
	for _, m := range s.Mounts {
		t := mount.TypeBind
		if m.Volume {
			t = mount.TypeVolume
		}
		hc.Mounts = append(hc.Mounts, mount.Mount{Type: t, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly})
	}
	for _, d := range s.Devices {
		hc.Devices = append(hc.Devices, container.DeviceMapping{PathOnHost: d, PathInContainer: d, CgroupPermissions: "rwm"})
	}
	if s.GPU {
		hc.DeviceRequests = []container.DeviceRequest{{Driver: "nvidia", Count: -1, Capabilities: [][]string{{"gpu"}}}}
	}
	var nc *network.NetworkingConfig
	if s.MacAddress != "" {
		switch {
		case kind == KindPodman:
			nc = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
				"podman": {MacAddress: s.MacAddress},
			}}
		case versions.GreaterThanOrEqualTo(apiVersion, "1.44"):
			nc = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
				"bridge": {MacAddress: s.MacAddress},
			}}
		default:
			//lint:ignore SA1019 the only place for it before API 1.44
			cfg.MacAddress = s.MacAddress
		}
	}
	return cfg, hc, nc
}

// CreateContainer creates (but does not start) a container.
func (e *Engine) CreateContainer(ctx context.Context, s ContainerSpec) (string, error) {
	cfg, hc, nc := dockerConfig(s, e.api.ClientVersion(), e.info.Kind)
	if e.info.Kind == KindPodman {
		id, err := e.podmanCreate(ctx, s.Name, cfg, hc, nc)
		if err != nil {
			return "", fmt.Errorf("create container %s: %w", s.Name, err)
		}
		return id, nil
	}
	resp, err := e.api.ContainerCreate(ctx, cfg, hc, nc, nil, s.Name)
	if err != nil {
		if cerrdefs.IsConflict(err) {
			return "", fmt.Errorf("create container %s: %w: %w", s.Name, ErrNameInUse, err)
		}
		return "", fmt.Errorf("create container %s: %w", s.Name, err)
	}
	return resp.ID, nil
}

// ErrNameInUse means another container already has the name.
var ErrNameInUse = errors.New("container name in use")

// ErrNotFound means no such container.
var ErrNotFound = errors.New("no such container")

// StartContainer starts a created container.
func (e *Engine) StartContainer(ctx context.Context, id string) error {
	if err := e.api.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		return fmt.Errorf("start container %s: %w", short(id), err)
	}
	return nil
}

// StopContainer asks the container to stop (SIGTERM), and kills it only
// after timeout.
func (e *Engine) StopContainer(ctx context.Context, id string, timeout time.Duration) error {
	secs := int(timeout.Seconds())
	if err := e.api.ContainerStop(ctx, id, container.StopOptions{Timeout: &secs}); err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("stop container %s: %w", short(id), err)
	}
	return nil
}

// RemoveContainer removes a stopped container; it never forces.
func (e *Engine) RemoveContainer(ctx context.Context, id string) error {
	if err := e.api.ContainerRemove(ctx, id, container.RemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("remove container %s: %w", short(id), err)
	}
	return nil
}

// InspectContainer reads a container by name or id; ErrNotFound if absent.
func (e *Engine) InspectContainer(ctx context.Context, nameOrID string) (Container, error) {
	r, err := e.api.ContainerInspect(ctx, nameOrID)
	if cerrdefs.IsNotFound(err) {
		return Container{}, fmt.Errorf("inspect container %s: %w", nameOrID, ErrNotFound)
	}
	if err != nil {
		return Container{}, fmt.Errorf("inspect container %s: %w", nameOrID, err)
	}
	c := Container{ID: r.ID, Name: strings.TrimPrefix(r.Name, "/"), Path: r.Path, Args: r.Args, Ports: map[int][]PortBinding{}}
	if r.Config != nil {
		c.Image, c.Labels, c.Cmd, c.Env = r.Config.Image, r.Config.Labels, r.Config.Cmd, r.Config.Env
	}
	if r.State != nil {
		c.Running, c.Status, c.ExitCode, c.OOMKilled = r.State.Running, r.State.Status, r.State.ExitCode, r.State.OOMKilled
		c.StartedAt, _ = time.Parse(time.RFC3339Nano, r.State.StartedAt) // "0001-01-…" for one never started
	}
	// Where a running container is published; for a stopped one, where it
	// was asked to be (a port the engine picked reads "0" there).
	ports := nat.PortMap{}
	if r.HostConfig != nil {
		ports = r.HostConfig.PortBindings
	}
	if r.NetworkSettings != nil && published(r.NetworkSettings.Ports) {
		ports = r.NetworkSettings.Ports
	}
	for port, bs := range ports {
		for _, b := range bs {
			hp, _ := strconv.Atoi(b.HostPort)
			c.Ports[port.Int()] = append(c.Ports[port.Int()], PortBinding{ContainerPort: port.Int(), HostIP: b.HostIP, HostPort: hp})
		}
	}
	return c, nil
}

func published(ports nat.PortMap) bool {
	for _, bs := range ports {
		if len(bs) > 0 {
			return true
		}
	}
	return false
}

// HostPort returns the host port that port is published on, or 0.
func (c Container) HostPort(port int) int {
	for _, b := range c.Ports[port] {
		if b.HostPort != 0 {
			return b.HostPort
		}
	}
	return 0
}

// WaitExit blocks until the container is no longer running and returns its
// exit code.
func (e *Engine) WaitExit(ctx context.Context, id string) (int, error) {
	okc, errc := e.api.ContainerWait(ctx, id, container.WaitConditionNotRunning)
	select {
	case r := <-okc:
		if r.Error != nil {
			return int(r.StatusCode), fmt.Errorf("wait for container %s: %s", short(id), r.Error.Message)
		}
		return int(r.StatusCode), nil
	case err := <-errc:
		return 0, fmt.Errorf("wait for container %s: %w", short(id), err)
	}
}

// Logs copies the container's output to w: the last tail lines ("all" for
// everything), then new lines as they come when follow is set.
func (e *Engine) Logs(ctx context.Context, id string, tail string, follow bool, w io.Writer) error {
	rc, err := e.api.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: follow, Tail: tail})
	if err != nil {
		return fmt.Errorf("read logs of %s: %w", short(id), err)
	}
	defer rc.Close()
	if _, err := stdcopy.StdCopy(w, w, rc); err != nil && ctx.Err() == nil {
		return fmt.Errorf("read logs of %s: %w", short(id), err)
	}
	return nil
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// RunOnce runs a short-lived container to completion and returns its exit
// code and output; the container is removed afterwards.
func (e *Engine) RunOnce(ctx context.Context, s ContainerSpec) (int, string, error) {
	id, err := e.CreateContainer(ctx, s)
	if err != nil {
		return 0, "", err
	}
	// Remove even when ctx is cancelled, so no helper container is left behind.
	defer e.RemoveContainer(context.WithoutCancel(ctx), id) //nolint:errcheck // best effort; it carries our label
	if err := e.StartContainer(ctx, id); err != nil {
		return 0, "", err
	}
	code, err := e.WaitExit(ctx, id)
	if err != nil {
		return 0, "", err
	}
	var out strings.Builder
	if err := e.Logs(ctx, id, "all", false, &out); err != nil {
		return code, "", err
	}
	return code, out.String(), nil
}

// BridgeGateway returns the IPv4 gateway of the engine's default network:
// how a Podman container reaches the host (never an IPv6 link-local address).
func (e *Engine) BridgeGateway(ctx context.Context) (string, error) {
	n, err := e.api.NetworkInspect(ctx, "bridge", network.InspectOptions{})
	if err != nil {
		return "", fmt.Errorf("inspect the default network: %w", err)
	}
	for _, c := range n.IPAM.Config {
		if ip := net.ParseIP(c.Gateway); ip != nil && ip.To4() != nil {
			return c.Gateway, nil
		}
	}
	return "", fmt.Errorf("the default network has no IPv4 gateway")
}
