package engine

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/docker/cli/cli/connhelper/ssh"

	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/relay"
)

// An engine reached over SSH publishes JupyterLab on the remote host's
// loopback. The app reaches it through the same OpenSSH connection that
// carries the engine's API: the first `ssh` becomes a control master
// (ControlPersist keeps it after the app exits), and the master forwards a
// Unix socket in the app's private control folder to Jupyter's port
// (`ssh -O forward`). The window's address is a port of this process
// (app/relay) that carries each connection to that socket: no other local
// process can take the address, not even while the master is down, and a
// connection made then logs in again. Stop closes the master. Windows'
// OpenSSH has no control masters: there a forward is its own `ssh -N -L`
// process on a local port.

// SSHOptions is how the app runs ssh for one endpoint.
type SSHOptions struct {
	Config     string // an ssh_config file to use instead of the user's (-F); "" for theirs
	ControlDir string // private folder for the control socket; "" where masters are unsupported
	// Relays hold the sessions' addresses; nil: the engine's own, closed
	// with it.
	Relays *Relays
}

// sshOptionsFor reads NEURODESK_SSH_CONFIG and picks a private control
// folder: the user's runtime folder, else one of the app's in the temp dir.
func sshOptionsFor(env Env) SSHOptions {
	o := SSHOptions{Config: env.Getenv("NEURODESK_SSH_CONFIG"), Relays: env.Relays}
	if env.GOOS == "windows" {
		return o
	}
	o.ControlDir = filepath.Join(env.XDGRuntimeDir, "neurodeskapp-ssh")
	// ssh adds the 40-character %C and a 17-character temporary suffix, and
	// a socket path must fit in 104 bytes (macOS): else a short private one.
	if env.XDGRuntimeDir == "" || len(o.ControlDir)+1+40+17 >= 104 {
		o.ControlDir = fmt.Sprintf("/tmp/neurodeskapp-ssh-%d", os.Getuid())
	}
	return o
}

// SSHFlags are the ssh options the app's other uses of ssh (a cluster's
// login node) share with the SSH engine: NEURODESK_SSH_CONFIG when set,
// and a private control master so that repeated commands log in once.
func SSHFlags(env Env) ([]string, error) {
	o := sshOptionsFor(env)
	if err := o.prepare(); err != nil {
		return nil, err
	}
	return o.flags(), nil
}

// flags are the ssh options every ssh the app runs for this endpoint gets.
func (o SSHOptions) flags() []string {
	var f []string
	if o.Config != "" {
		f = append(f, "-F", o.Config)
	}
	if o.ControlDir != "" {
		// %C is a hash of host, port and user: one master per destination.
		f = append(f, "-o", "ControlMaster=auto", "-o", "ControlPath="+filepath.Join(o.ControlDir, "%C"), "-o", "ControlPersist=yes",
			"-o", "StreamLocalBindUnlink=yes")
	}
	return f
}

// prepare makes the control folder, private to this user. In a shared
// /tmp another user may have made it, or a link to their own folder, first:
// then it is refused, never followed or chmodded.
func (o SSHOptions) prepare() error {
	if o.ControlDir == "" {
		return nil
	}
	if err := platform.PrivateDir(o.ControlDir); err != nil {
		return fmt.Errorf("make the ssh control folder: %w", err)
	}
	return nil
}

// Tunnel forwards local ports to the remote engine host's loopback.
type Tunnel struct {
	spec   *ssh.Spec
	opts   SSHOptions
	relays *Relays

	mu    sync.Mutex
	alone []*exec.Cmd // forwards of their own connection (no control master)
}

// Tunnel returns the engine's tunnel, or nil when the engine is reached
// without SSH (its published ports are this machine's).
func (e *Engine) Tunnel() *Tunnel {
	if !strings.HasPrefix(e.endpoint.Host, "ssh://") {
		return nil
	}
	u, err := url.Parse(e.endpoint.Host)
	if err != nil {
		return nil
	}
	sp, err := ssh.NewSpec(u)
	if err != nil {
		return nil
	}
	rs := e.endpoint.SSH.Relays
	if rs == nil {
		rs = e.relays
	}
	return &Tunnel{spec: sp, opts: e.endpoint.SSH, relays: rs}
}

// Forward makes remotePort on the remote host's 127.0.0.1 answer on a port
// of this machine's 127.0.0.1 and returns that port, for as long as the
// container with id runs. Through the shared connection the same port
// number is asked for first: forwarding again (adopting from another
// process) then finds the forward in place, which the master accepts; a
// port taken by anything else gets a free one.
func (t *Tunnel) Forward(ctx context.Context, remotePort int, id string) (int, error) {
	if t.opts.ControlDir == "" {
		return t.forwardAlone(remotePort, id)
	}
	// One socket per host and port: a window may meet several engines.
	sum := sha256.Sum256([]byte(t.spec.User + "@" + t.spec.Host + ":" + t.spec.Port))
	sock := filepath.Join(t.opts.ControlDir, fmt.Sprintf("j-%x-%d.sock", sum[:6], remotePort))
	t.relays.mu.Lock()
	defer t.relays.mu.Unlock()
	if r, ok := t.relays.bySocket[sock]; ok {
		return r.Port(), nil
	}
	if err := t.forwardSocket(ctx, sock, remotePort); err != nil {
		return 0, fmt.Errorf("forward port %d from %s: %w", remotePort, t.spec.Host, err)
	}
	var mu sync.Mutex
	var lastLogin time.Time
	wait := 5 * time.Second
	r, err := relay.Listen("", func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, "unix", sock)
		if err == nil {
			return c, nil
		}
		// The master is gone (a lost network): log in again and forward
		// again, less and less often while that fails (a login may ask a
		// passphrase).
		mu.Lock()
		defer mu.Unlock()
		if c, err := d.DialContext(ctx, "unix", sock); err == nil {
			return c, nil // another connection did it meanwhile
		}
		if time.Since(lastLogin) < wait {
			return nil, err
		}
		lastLogin = time.Now()
		if ferr := t.loginAndForward(ctx, sock, remotePort); ferr != nil {
			wait = min(2*wait, time.Minute)
			return nil, ferr
		}
		wait = 5 * time.Second
		return d.DialContext(ctx, "unix", sock)
	})
	if err != nil {
		return 0, err
	}
	t.relays.bySocket[sock] = r
	return r.Port(), nil
}

// forwardSocket has the master forward sock, in the private control
// folder, to remote on the host's loopback. A socket a dead master left is
// replaced (StreamLocalBindUnlink in the master's options).
func (t *Tunnel) forwardSocket(ctx context.Context, sock string, remote int) error {
	return t.run(ctx, "-O", "forward", "-L", fmt.Sprintf("%s:127.0.0.1:%d", sock, remote))
}

// loginAndForward makes a new master (a login; ControlPersist keeps it)
// and has it forward sock again.
func (t *Tunnel) loginAndForward(ctx context.Context, sock string, remote int) error {
	args, err := t.args("-n")
	if err != nil {
		return err
	}
	if out, err := exec.CommandContext(ctx, "ssh", append(args, "true")...).CombinedOutput(); err != nil {
		return fmt.Errorf("log in to %s again: %w: %s", t.spec.Host, err, strings.TrimSpace(string(out)))
	}
	return t.forwardSocket(ctx, sock, remote)
}

// Relays are the ports a process holds for the sessions of engines over
// SSH, by the socket (host and port) they reach. A window keeps one set for its whole
// life (Env.Relays), so that an engine connection made again (after a
// dropped network) finds the window's address still held, never free.
type Relays struct {
	mu       sync.Mutex
	bySocket map[string]*relay.Relay
}

// NewRelays is an empty set.
func NewRelays() *Relays { return &Relays{bySocket: map[string]*relay.Relay{}} }

func (rs *Relays) closeAll() {
	if rs == nil {
		return
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for sock, r := range rs.bySocket {
		r.Close()
		delete(rs.bySocket, sock)
	}
}

// forwardAlone is a forward of its own connection, where ssh has no
// control masters (Windows). Its ssh runs `docker wait` on the host, so it
// ends when the container does, whichever process stops the session (a
// CLI start's forward outlives the CLI, and its stop comes from another).
func (t *Tunnel) forwardAlone(remotePort int, id string) (int, error) {
	local, err := FreeLocalPort()
	if err != nil {
		return 0, err
	}
	forward := []string{"-n", "-o", "ExitOnForwardFailure=yes", "-L", fmt.Sprintf("127.0.0.1:%d:127.0.0.1:%d", local, remotePort)}
	if !containerID.MatchString(id) {
		forward = append([]string{"-N"}, forward...) // nothing to wait on: until Close
	}
	args, err := t.args(forward...)
	if err != nil {
		return 0, err
	}
	if containerID.MatchString(id) {
		args = append(args, "docker", "wait", id) // hex only: nothing for the remote shell to read
	}
	cmd := exec.Command("ssh", args...)
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("forward port %d from %s: %w", remotePort, t.spec.Host, err)
	}
	t.mu.Lock()
	t.alone = append(t.alone, cmd)
	t.mu.Unlock()
	go cmd.Wait() //nolint:errcheck // reaped when it ends
	return local, nil
}

// containerID is what an engine's container id looks like.
var containerID = regexp.MustCompile(`^[0-9a-f]{12,64}$`)

// Close ends the shared connection, and with it every forward; forwards
// of their own connection that this process made end now.
func (t *Tunnel) Close(ctx context.Context) error {
	if t.opts.ControlDir == "" {
		t.mu.Lock()
		alone := t.alone
		t.alone = nil
		t.mu.Unlock()
		for _, cmd := range alone {
			_ = cmd.Process.Kill() // an ended one says so; nothing to do
		}
		return nil
	}
	t.relays.closeAll() // the addresses go with the connection
	if err := t.run(ctx, "-O", "exit"); err != nil && !NoMaster(err) {
		return fmt.Errorf("close the ssh connection to %s: %w", t.spec.Host, err)
	}
	return nil
}

// NoMaster says an `ssh -O` command failed only because no control
// master runs (there is nothing to close).
func NoMaster(err error) bool {
	return strings.Contains(err.Error(), "No such file") || strings.Contains(err.Error(), "Control socket connect")
}

// args are ssh's arguments to reach the host with extra options and no
// remote command.
func (t *Tunnel) args(extra ...string) ([]string, error) {
	args := append(t.opts.flags(), extra...)
	if t.spec.User != "" {
		args = append(args, "-l", t.spec.User)
	}
	if t.spec.Port != "" {
		args = append(args, "-p", t.spec.Port)
	}
	return append(args, "--", t.spec.Host), nil
}

func (t *Tunnel) run(ctx context.Context, extra ...string) error {
	args, err := t.args(extra...)
	if err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, "ssh", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// FreeLocalPort returns a TCP port on 127.0.0.1 that nothing listens on now.
func FreeLocalPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free local port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
