package cluster

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
)

// Tunnel forwards a port on this computer's loopback, through the login
// node, to JupyterLab on the compute node. When the connection drops (a
// lost network, a sleeping laptop) it is made again on the same local
// port, so the window's address stays valid.
type Tunnel struct {
	Local  string // 127.0.0.1:PORT
	cancel context.CancelFunc
	done   chan struct{}
}

// Forward opens the tunnel; it is up once the local port answers. Where
// the login is Shared, the forward is added to the control master, so it
// needs no login of its own; elsewhere it is an ssh of its own.
func (s SSH) Forward(ctx context.Context, node string, port int) (*Tunnel, error) {
	if !safeWord.MatchString(node) {
		return nil, fmt.Errorf("%q is not a node's name", node)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("find a free local port: %w", err)
	}
	local := l.Addr().String()
	l.Close()
	spec := local + ":" + node + ":" + strconv.Itoa(port)
	parent := ctx
	// The tunnel outlives the start that opened it: Close ends it.
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	t := &Tunnel{Local: local, cancel: cancel, done: make(chan struct{})}
	if s.Shared {
		if err := s.forwardShared(parent, spec); err != nil {
			cancel()
			return nil, fmt.Errorf("tunnel to %s:%d through %s: %w", node, port, s.Destination, err)
		}
		go s.keepShared(ctx, t, spec)
	} else {
		go s.keepAlone(ctx, t, spec)
	}
	for deadline := time.Now().Add(30 * time.Second); !answers(local); time.Sleep(100 * time.Millisecond) {
		if parent.Err() != nil {
			t.Close()
			return nil, parent.Err()
		}
		if time.Now().After(deadline) {
			t.Close()
			return nil, fmt.Errorf("tunnel to %s:%d through %s: not up after 30 s", node, port, s.Destination)
		}
	}
	return t, nil
}

func answers(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		c.Close()
	}
	return err == nil
}

// forwardShared adds the forward to the master, logging in again first
// when there is none (it ended, or its network went).
func (s SSH) forwardShared(ctx context.Context, spec string) error {
	if s.control(ctx, "forward", spec) == nil {
		return nil
	}
	if _, err := s.Run(ctx, "", "true"); err != nil {
		return err
	}
	return s.control(ctx, "forward", spec)
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

// keepShared puts the forward back whenever its port stops answering,
// until Close, which then takes it off the master (the login stays, for
// the next look at the queue).
func (s SSH) keepShared(ctx context.Context, t *Tunnel, spec string) {
	defer close(t.done)
	wait := time.Second
	for {
		select {
		case <-ctx.Done():
			c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = s.control(c, "cancel", spec) // a master gone took the forward with it
			return
		case <-time.After(wait):
		}
		// Each look opens a channel to the node: every few seconds, not
		// more. A login that fails (a passphrase not given) is tried less
		// and less often, not a prompt every few seconds.
		if answers(t.Local) || s.forwardShared(ctx, spec) == nil {
			wait = 3 * time.Second
		} else {
			wait = min(max(2*wait, 5*time.Second), time.Minute)
		}
	}
}

// keepAlone runs the forward as an ssh of its own, started again when it
// exits.
func (s SSH) keepAlone(ctx context.Context, t *Tunnel, spec string) {
	defer close(t.done)
	// ControlPath=none: a forward added to a master would outlive Close.
	// (ssh takes an option's first value.)
	args := append([]string{"-N", "-o", "ControlMaster=no", "-o", "ControlPath=none", "-o", "ExitOnForwardFailure=yes"}, alive...)
	args = append(append(args, s.Options...), "-L", spec, "--", s.Destination)
	wait := time.Second
	for ctx.Err() == nil {
		began := time.Now()
		_ = exec.CommandContext(ctx, "ssh", args...).Run()
		if time.Since(began) > time.Minute {
			wait = time.Second // it was up: try again soon
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, 15*time.Second)
	}
}

// Close ends the tunnel and waits for it to be gone.
func (t *Tunnel) Close() {
	t.cancel()
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
	return nil
}
