// Package engine talks to the container engine (Docker Engine, Docker Desktop,
// Podman, Rancher Desktop, or a remote engine) through its HTTP API. It is the
// only package that imports the Docker SDK, so moving to its successor module
// is a change here alone.
package engine

import (
	"context"
	"errors"
	"fmt"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/docker/cli/cli/connhelper"
	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/versions"
	"github.com/docker/docker/client"
)

// MinAPIVersion is the oldest engine API we drive: Docker 19.03 / Podman 3.
const MinAPIVersion = "1.40"

// pingTimeout bounds how long one endpoint may take to answer, so that a
// dead or black-holed endpoint is reported in under two seconds.
const pingTimeout = 1500 * time.Millisecond

// sshPingTimeout is the first answer's deadline over SSH: it includes ssh's
// own connection (key exchange, authentication, the remote `docker system
// dial-stdio`), which takes over a second on a busy machine and several
// round trips to a distant host.
const sshPingTimeout = 20 * time.Second

// pingTimeoutFor is how long the first answer from ep may take.
func pingTimeoutFor(ep Endpoint) time.Duration {
	if strings.HasPrefix(ep.Host, "ssh://") {
		return sshPingTimeout
	}
	return pingTimeout
}

// describeTimeout bounds /info and /version once the engine answered a
// ping: Podman takes 1-3 s for each on a busy machine.
const describeTimeout = 20 * time.Second

// Engine is a connected container engine.
type Engine struct {
	api      *client.Client
	endpoint Endpoint
	info     Info
	// relays are the ports this process holds for JupyterLab on an
	// engine reached over SSH (ssh.go), shared by its Tunnels.
	relays *Relays
}

// Info is what we know about the engine once connected.
type Info struct {
	ID            string // the engine's own id: what is learned about it is remembered under it
	Kind          Kind
	ServerVersion string
	APIVersion    string // the negotiated version
	OS            string // e.g. "Docker Desktop", "Debian GNU/Linux 12 (bookworm)"
	Arch          string
	RootDir       string
	AppArmor      bool // the engine's host has AppArmor loaded
	// Rootless: the engine runs as an ordinary user, in a user namespace
	// where that user is root.
	Rootless bool
	NCPU     int
	MemTotal int64
	// Local is true when the engine's data root is a folder on this machine,
	// so its free space can be measured here.
	Local bool
	// Socket is the local unix socket the engine answers on, or "".
	Socket string
	// Remote: the engine runs on another machine (ssh://, or tcp:// to a
	// host other than this one): its folders and ports are that machine's.
	Remote bool
	// Account is the SSH account on the engine's host (nil unless the
	// engine is reached over SSH); learned on every connect, never cached.
	Account *Account `json:"-"`
}

// Attempt records one endpoint tried, for diagnostics.
type Attempt struct {
	Endpoint Endpoint
	Err      error
}

// Connect finds the engine and checks that it answers and is recent enough.
// The returned error is an *problem.Error with a code and a remedy; attempts lists
// every endpoint tried, whether or not one succeeded.
func Connect(ctx context.Context, env Env) (*Engine, []Attempt, error) {
	eps, err := Candidates(env)
	if err != nil {
		return nil, nil, &problem.Error{Code: problem.EngineNotRunning, Message: "Could not read the Docker context", Remedy: "Fix or remove the Docker CLI configuration (docker context ls), or set DOCKER_HOST.", Err: err}
	}
	var attempts []Attempt
	for _, ep := range eps {
		if p := socketPath(ep.Host); p != "" && !ep.Explicit {
			if _, err := os.Stat(p); err != nil {
				continue // nothing installed there; not worth reporting
			}
		}
		e, err := Open(ctx, ep)
		attempts = append(attempts, Attempt{Endpoint: ep, Err: err})
		if err == nil {
			return e, attempts, nil
		}
		if ctx.Err() != nil {
			return nil, attempts, ctx.Err()
		}
	}
	if ep, ok := podmanServiceEndpoint(env); ok {
		sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		err := startPodmanService(sctx, ep)
		cancel()
		var e *Engine
		if err == nil {
			e, err = Open(ctx, ep)
		}
		attempts = append(attempts, Attempt{Endpoint: ep, Err: err})
		if err == nil {
			return e, attempts, nil
		}
	}
	return nil, attempts, summarize(attempts, env)
}

// Open connects to one endpoint.
func Open(ctx context.Context, ep Endpoint) (*Engine, error) {
	opts := []client.Opt{client.WithAPIVersionNegotiation()}
	if strings.HasPrefix(ep.Host, "ssh://") {
		if err := ep.SSH.prepare(); err != nil {
			return nil, classify(ep, err)
		}
		helper, err := connhelper.GetConnectionHelperWithSSHOpts(ep.Host, ep.SSH.flags())
		if err != nil {
			return nil, classify(ep, err)
		}
		opts = append(opts, client.WithHost(helper.Host), client.WithDialContext(helper.Dialer))
	} else {
		opts = append(opts, client.WithHost(ep.Host))
	}
	if ep.TLSDir != "" {
		opts = append(opts, client.WithTLSClientConfig(filepath.Join(ep.TLSDir, "ca.pem"), filepath.Join(ep.TLSDir, "cert.pem"), filepath.Join(ep.TLSDir, "key.pem")))
	}
	api, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, classify(ep, err)
	}
	e := &Engine{api: api, endpoint: ep, relays: NewRelays()}
	if err := e.handshake(ctx); err != nil {
		_ = api.Close()
		return nil, classify(ep, err)
	}
	if t := e.Tunnel(); t != nil {
		// Without it two people on this engine could not be told apart.
		acc, err := t.account(ctx)
		if err != nil {
			_ = api.Close()
			return nil, &problem.Error{Code: problem.EngineFailed, Message: fmt.Sprintf("Could not learn which account the app uses on %s", t.spec.Host),
				Remedy: "The engine answers, but `id` over ssh did not: check that the account has a shell that runs commands, then press Retry.", Err: err}
		}
		e.info.Account = acc
	}
	return e, nil
}

func (e *Engine) handshake(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, pingTimeoutFor(e.endpoint))
	defer cancel()
	ping, err := e.api.Ping(pctx)
	if err != nil {
		return err
	}
	if ping.APIVersion != "" && versions.LessThan(ping.APIVersion, MinAPIVersion) {
		return &problem.Error{Code: problem.EngineAPITooOld,
			Message: fmt.Sprintf("The container engine speaks API %s; Neurodesk needs %s or newer", ping.APIVersion, MinAPIVersion),
			Remedy:  "Update Docker (19.03 or newer) or Podman (3.0 or newer), then press Retry."}
	}
	e.api.NegotiateAPIVersionPing(ping)
	key := ""
	if e.endpoint.DescribeCache != "" {
		key = describeKey(e.endpoint, e.serverHeader(pctx), ping.APIVersion)
		if info, ok := recallDescription(e.endpoint.DescribeCache, key, time.Now()); ok {
			e.info = info
			e.finishInfo()
			return nil
		}
	}
	// Info and version each get their own, longer deadline (Podman takes
	// seconds to answer them on a busy machine), at the same time. The
	// engine's kind is read from both, never guessed from a failed call.
	var (
		si             system.Info
		sv             types.Version
		vErr           error
		podmanRootless bool
		wg             sync.WaitGroup
	)
	vctx, cancelV := context.WithTimeout(ctx, describeTimeout)
	defer cancelV()
	wg.Add(2)
	go func() {
		defer wg.Done()
		sv, vErr = e.api.ServerVersion(vctx)
	}()
	go func() {
		defer wg.Done()
		podmanRootless = e.libpodRootless(vctx)
	}()
	ictx, cancel2 := context.WithTimeout(ctx, describeTimeout)
	defer cancel2()
	si, err = e.api.Info(ictx)
	wg.Wait()
	if err != nil {
		return e.describeFailed("/info", err)
	}
	if vErr != nil {
		return e.describeFailed("/version", vErr)
	}
	var components []string
	for _, c := range sv.Components {
		components = append(components, c.Name)
	}
	e.info = Info{
		ID:            si.ID,
		Kind:          kindOf(si.OperatingSystem, si.Name, components, e.endpoint.Host),
		ServerVersion: si.ServerVersion,
		APIVersion:    e.api.ClientVersion(),
		OS:            si.OperatingSystem,
		Arch:          si.Architecture,
		RootDir:       si.DockerRootDir,
		AppArmor:      hasSecurityOption(si.SecurityOptions, "name=apparmor"),
		Rootless:      hasSecurityOption(si.SecurityOptions, "name=rootless") || podmanRootless,
		NCPU:          si.NCPU,
		MemTotal:      si.MemTotal,
	}
	// Podman's compat /info makes up a new ID on every call: its own is
	// where it keeps its images, on which machine.
	if e.info.Kind == KindPodman {
		e.info.ID = "podman " + si.Name + ":" + si.DockerRootDir
	}
	e.finishInfo()
	rememberDescription(e.endpoint.DescribeCache, key, e.info, time.Now())
	return nil
}

// finishInfo fills in what depends on this connection, not on the engine.
func (e *Engine) finishInfo() {
	e.info.APIVersion = e.api.ClientVersion()
	e.info.Local = isLocal(e.info, e.endpoint)
	e.info.Socket = socketPath(e.endpoint.Host)
	e.info.Remote = isRemote(e.endpoint.Host)
}

func isRemote(host string) bool {
	u, err := url.Parse(host)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "ssh":
		return true
	case "tcp", "http", "https":
		h := u.Hostname()
		ip := net.ParseIP(h)
		return h != "localhost" && (ip == nil || !ip.IsLoopback())
	}
	return false
}

func hasSecurityOption(opts []string, name string) bool {
	return slices.ContainsFunc(opts, func(s string) bool { return strings.Contains(s, name) })
}

func isLocal(info Info, ep Endpoint) bool {
	if socketPath(ep.Host) == "" || info.Kind == KindDockerDesktop || info.Kind == KindRancherDesktop || info.RootDir == "" {
		return false
	}
	_, err := os.Stat(info.RootDir)
	return err == nil
}

// Info returns what was learned when connecting.
func (e *Engine) Info() Info { return e.info }

// Endpoint returns where the engine answered.
func (e *Engine) Endpoint() Endpoint { return e.endpoint }

// Ping asks whether the engine still answers, within the same deadline as
// the first answer; a failure is classified as a failed connect is.
func (e *Engine) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeoutFor(e.endpoint))
	defer cancel()
	if _, err := e.api.Ping(ctx); err != nil {
		return classify(e.endpoint, err)
	}
	return nil
}

// Close releases the connection.
func (e *Engine) Close() error {
	e.relays.closeAll()
	return e.api.Close()
}

// classify turns a connection failure into an *problem.Error with a remedy.
func classify(ep Endpoint, err error) error {
	var ee *problem.Error
	if errors.As(err, &ee) {
		return err
	}
	sock := socketPath(ep.Host)
	where := ep.Host
	switch {
	case errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) || strings.Contains(err.Error(), "permission denied") || strings.Contains(err.Error(), "Access is denied"):
		return &problem.Error{Code: problem.EnginePermissionDenied, Message: fmt.Sprintf("Permission denied on the engine socket %s", where), Remedy: permissionRemedy(sock), Err: err}
	case errors.Is(err, syscall.ENOENT) || strings.Contains(err.Error(), "cannot find the file"):
		return &problem.Error{Code: problem.EngineNotRunning, Message: fmt.Sprintf("No container engine is listening at %s", where), Remedy: notRunningRemedy(ep), Err: err}
	case errors.Is(err, syscall.ECONNREFUSED) || client.IsErrConnectionFailed(err):
		return &problem.Error{Code: problem.EngineNotRunning, Message: fmt.Sprintf("The container engine at %s refused the connection", where), Remedy: notRunningRemedy(ep), Err: err}
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return &problem.Error{Code: problem.EngineNotRunning, Message: fmt.Sprintf("The container engine at %s did not answer within %s", where, pingTimeoutFor(ep)), Remedy: notRunningRemedy(ep), Err: err}
	}
	return &problem.Error{Code: problem.EngineFailed, Message: fmt.Sprintf("Could not talk to the container engine at %s", where), Remedy: notRunningRemedy(ep), Err: err}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// summarize picks the most useful failure among the attempts: a permission
// problem beats "not running", which beats "not installed".
func summarize(attempts []Attempt, env Env) error {
	best := -1
	rank := map[problem.Code]int{problem.EnginePermissionDenied: 3, problem.EngineAPITooOld: 2, problem.EngineNotRunning: 1, problem.EngineFailed: 1}
	for i, a := range attempts {
		if best < 0 || rank[problem.CodeOf(a.Err)] > rank[problem.CodeOf(attempts[best].Err)] {
			best = i
		}
	}
	if best >= 0 {
		return attempts[best].Err
	}
	if engineInstalled(env) {
		return &problem.Error{Code: problem.EngineNotRunning, Message: "A container engine is installed but not running", Remedy: notRunningRemedy(Endpoint{})}
	}
	return &problem.Error{Code: problem.EngineNotInstalled, Message: "No container engine was found", Remedy: notInstalledRemedy(env.GOOS)}
}

func engineInstalled(env Env) bool {
	for _, bin := range []string{"docker", "podman"} {
		if _, err := exec.LookPath(bin); err == nil {
			return true
		}
	}
	for _, p := range desktopApps(env) {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

func desktopApps(env Env) []string {
	switch env.GOOS {
	case "darwin":
		return []string{"/Applications/Docker.app", filepath.Join(env.Home, "Applications", "Docker.app"), "/Applications/Rancher Desktop.app"}
	case "windows":
		return []string{`C:\Program Files\Docker\Docker\Docker Desktop.exe`}
	}
	return nil
}

// describeFailed is the error for an engine that answered a ping but not
// what (/info or /version).
func (e *Engine) describeFailed(what string, err error) error {
	msg := fmt.Sprintf("The container engine at %s answered a ping, but its %s request failed", e.endpoint.Host, what)
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		msg = fmt.Sprintf("The container engine at %s answered a ping, but not its %s request within %s", e.endpoint.Host, what, describeTimeout)
	}
	return &problem.Error{Code: problem.EngineFailed, Message: msg,
		Remedy: "The engine may be very busy. Wait a moment and press Retry; if it persists, restart the engine.", Err: err}
}
