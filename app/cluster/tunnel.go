package cluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/relay"
)

// Tunnel carries connections from a port on this computer's loopback,
// which the app holds for the tunnel's whole life, through the login node
// to the job's Jupyter on the compute node, over TLS checked against the
// job's own certificate. ssh forwards an inner port of its own to the
// node; when that drops (a lost network, a sleeping laptop) it is made
// again, and the window's address stays the same and stays the app's.
type Tunnel struct {
	Local string // 127.0.0.1:PORT, the app's own
	relay *relay.Relay
	pin   *tls.Config
	mu    sync.Mutex
	inner string // 127.0.0.1:PORT, ssh's forward now
	far   string // ADDR:PORT on the node, where the job's Jupyter listens
	// forwarded is where ssh's forward on inner goes (far, unless retargeted since).
	forwarded string
	moved     chan struct{} // Retarget's word to an ssh of its own
	cancel    context.CancelFunc
	done      chan struct{}
}

// Forward opens the tunnel to the job's Jupyter at addr:port on the node;
// it is up once that server proves it holds the job's certificate. Where
// the login is Shared, ssh's forward is added to the control master, so it
// needs no login of its own; elsewhere it is an ssh of its own.
func (s SSH) Forward(ctx context.Context, addr string, port int, pin *tls.Config) (*Tunnel, error) {
	if !safeWord.MatchString(addr) {
		return nil, fmt.Errorf("%q is not a node's address", addr)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	parent := ctx
	// The tunnel outlives the start that opened it: Close ends it.
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	far := addr + ":" + strconv.Itoa(port)
	t := &Tunnel{pin: pin, far: far, cancel: cancel, done: make(chan struct{}), moved: make(chan struct{}, 1)}
	r, err := relay.Listen("", t.dial)
	if err != nil {
		cancel()
		return nil, err
	}
	// From here the port is the app's until Close.
	t.relay, t.Local = r, r.Addr()
	if s.Shared {
		if err := s.forwardShared(parent, t); err != nil {
			close(t.done) // no keeper to wait for
			t.Close()
			return nil, fmt.Errorf("tunnel to %s through %s: %w", far, s.Destination, err)
		}
		go s.keepShared(ctx, t)
	} else {
		go s.keepAlone(ctx, t)
	}
	for deadline := time.Now().Add(30 * time.Second); !t.reaches(parent); time.Sleep(200 * time.Millisecond) {
		if parent.Err() != nil {
			t.Close()
			return nil, parent.Err()
		}
		if time.Now().After(deadline) {
			t.Close()
			return nil, fmt.Errorf("tunnel to %s through %s: the job's Jupyter did not answer with its certificate within 30 s", far, s.Destination)
		}
	}
	return t, nil
}

// dial reaches the job's Jupyter through ssh's forward and checks its
// certificate before anything is sent.
func (t *Tunnel) dial(ctx context.Context) (net.Conn, error) {
	t.mu.Lock()
	inner := t.inner
	t.mu.Unlock()
	if inner == "" {
		return nil, fmt.Errorf("the tunnel is being made")
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", inner)
	if err != nil {
		return nil, err
	}
	tc := tls.Client(c, t.pin)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("reach the job's Jupyter: %w", err)
	}
	return tc, nil
}

// reaches says whether the job's own Jupyter answers through the tunnel.
func (t *Tunnel) reaches(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := t.dial(ctx)
	if err == nil {
		c.Close()
	}
	return err == nil
}

func (t *Tunnel) setInner(inner string) {
	t.mu.Lock()
	t.inner = inner
	t.mu.Unlock()
}

func (t *Tunnel) target() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.far
}

// Retarget points the tunnel at the job's Jupyter on another address or
// port (a requeued job starts again elsewhere), keeping the local port, so
// the window's address stays valid; the keeper makes the forward anew.
func (t *Tunnel) Retarget(addr string, port int) error {
	if !safeWord.MatchString(addr) || port <= 0 || port > 65535 {
		return fmt.Errorf("%q:%d is not a node's address and port", addr, port)
	}
	t.mu.Lock()
	t.far = addr + ":" + strconv.Itoa(port)
	t.mu.Unlock()
	select {
	case t.moved <- struct{}{}:
	default:
	}
	return nil
}

// freeInner is a loopback port for ssh's forward. Another program may
// take it before ssh does: ssh then fails and another is tried; one that
// answers there never gets past the certificate check.
func freeInner() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free local port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// forwardShared adds a forward on a new inner port to the master, logging
// in again first when there is none (it ended, or its network went).
func (s SSH) forwardShared(ctx context.Context, t *Tunnel) error {
	far := t.target()
	var err error
	for range 3 {
		var inner string
		if inner, err = freeInner(); err != nil {
			return err
		}
		spec := inner + ":" + far
		if err = s.control(ctx, "forward", spec); err != nil {
			if _, lerr := s.Run(ctx, "", "true"); lerr != nil {
				return lerr
			}
			err = s.control(ctx, "forward", spec)
		}
		if err == nil {
			t.mu.Lock()
			old, oldFar := t.inner, t.forwarded
			t.inner, t.forwarded = inner, far
			t.mu.Unlock()
			if old != "" {
				_ = s.control(ctx, "cancel", old+":"+oldFar) // a master gone took it with it
			}
			return nil
		}
	}
	return err
}

// control sends the master a command (-O forward, -O cancel, -O exit).
func (s SSH) control(ctx context.Context, command, spec string) error {
	args := append(append([]string{}, s.Options...), "-O", command)
	if spec != "" {
		args = append(args, "-L", spec)
	}
	out, err := exec.CommandContext(ctx, "ssh", append(args, "--", s.Destination)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ssh -O %s: %w: %s", command, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// keepShared makes the forward again whenever the job's Jupyter stops
// answering through it, until Close, which then takes it off the master
// (the login stays, for the next look at the queue).
func (s SSH) keepShared(ctx context.Context, t *Tunnel) {
	defer close(t.done)
	wait := time.Second
	for {
		select {
		case <-ctx.Done():
			c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			t.mu.Lock()
			inner, far := t.inner, t.forwarded
			t.mu.Unlock()
			_ = s.control(c, "cancel", inner+":"+far) // a master gone took the forward with it
			return
		case <-time.After(wait):
		}
		// Each look opens a channel to the node: every few seconds, not
		// more. A login that fails (a passphrase not given) is tried less
		// and less often, not a prompt every few seconds.
		t.mu.Lock()
		moved := t.forwarded != t.far
		t.mu.Unlock()
		if !moved && t.reaches(ctx) || s.forwardShared(ctx, t) == nil {
			wait = 3 * time.Second
		} else {
			wait = min(max(2*wait, 5*time.Second), time.Minute)
		}
	}
}

// keepAlone runs the forward as an ssh of its own, on a new inner port
// each time it is started again.
func (s SSH) keepAlone(ctx context.Context, t *Tunnel) {
	defer close(t.done)
	wait := time.Second
	for ctx.Err() == nil {
		inner, err := freeInner()
		far := t.target()
		if err == nil {
			// ControlPath=none: a forward added to a master would outlive
			// Close. (ssh takes an option's first value.)
			args := append([]string{"-N", "-o", "ControlMaster=no", "-o", "ControlPath=none", "-o", "ExitOnForwardFailure=yes"}, alive...)
			args = append(append(args, s.Options...), "-L", inner+":"+far, "--", s.Destination)
			t.setInner(inner)
			began := time.Now()
			run, stop := context.WithCancel(ctx)
			go func() {
				select {
				case <-t.moved: // to the new target
					stop()
				case <-run.Done():
				}
			}()
			_ = exec.CommandContext(run, "ssh", args...).Run()
			stop()
			if time.Since(began) > time.Minute {
				wait = time.Second // it was up: try again soon
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, 15*time.Second)
	}
}

// Close gives up the tunnel's port and ends it, and waits for it to be gone.
func (t *Tunnel) Close() {
	t.cancel()
	t.relay.Close()
	<-t.done
}

// Logout ends the shared login (the control master), once the person's
// job is stopped: nothing is left connected to the cluster.
func (s SSH) Logout(ctx context.Context) error {
	if !s.Shared {
		return nil
	}
	if err := s.control(ctx, "exit", ""); err != nil && !engine.NoMaster(err) {
		return fmt.Errorf("close the ssh connection to %s: %w", s.Destination, err)
	}
	// The master ends a moment after it is asked: gone before this returns.
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if s.control(ctx, "check", "") != nil {
			break
		}
	}
	return nil
}
