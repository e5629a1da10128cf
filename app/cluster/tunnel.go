package cluster

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"time"
)

// Tunnel forwards a port on this computer's loopback, through the login
// node, to JupyterLab on the compute node. When ssh exits (a dropped
// network, a sleeping laptop) it starts it again on the same local port,
// so the window's address stays valid.
type Tunnel struct {
	Local  string // 127.0.0.1:PORT
	cancel context.CancelFunc
	done   chan struct{}
}

// Forward opens the tunnel; it is up once the local port answers.
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
	parent := ctx
	// The tunnel outlives the start that opened it: Close ends it.
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	t := &Tunnel{Local: local, cancel: cancel, done: make(chan struct{})}
	// Its own connection, not a control master's: a forward added to a
	// master would outlive Close. (ssh takes an option's first value.)
	args := append([]string{"-N", "-o", "ControlMaster=no", "-o", "ControlPath=none",
		"-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes",
		"-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=3"}, s.Options...)
	args = append(args, "-L", local+":"+node+":"+strconv.Itoa(port), "--", s.Destination)
	go func() {
		defer close(t.done)
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
	}()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", local, time.Second); err == nil {
			c.Close()
			return t, nil
		}
		if parent.Err() != nil {
			t.Close()
			return nil, parent.Err()
		}
		if time.Now().After(deadline) {
			t.Close()
			return nil, fmt.Errorf("tunnel to %s:%d through %s: not up after 30 s", node, port, s.Destination)
		}
	}
}

// Close ends the tunnel and waits for ssh to exit.
func (t *Tunnel) Close() {
	t.cancel()
	<-t.done
}
