// Package relay holds a port on this computer's loopback for the whole life
// of a tunnel and carries each connection made to it to wherever Dial
// reaches (an SSH forward, a TLS connection checked against the job's own
// certificate). Nothing else can take the port in between: not while the
// SSH connection behind it is down, not while it is being made again.
package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Dialer reaches the far end for one connection.
type Dialer func(ctx context.Context) (net.Conn, error)

// Relay is a listener on 127.0.0.1 and the connections it carries.
type Relay struct {
	ln     net.Listener
	dial   Dialer
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]bool
}

// Listen takes a free port on 127.0.0.1 (or addr, "127.0.0.1:PORT", to
// keep one a person's window already uses) and serves it until Close.
func Listen(addr string, dial Dialer) (*Relay, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("take a port on this computer for the tunnel: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Relay{ln: ln, dial: dial, ctx: ctx, cancel: cancel, conns: map[net.Conn]bool{}}
	r.wg.Add(1)
	go r.serve()
	return r, nil
}

// Addr is 127.0.0.1:PORT.
func (r *Relay) Addr() string { return r.ln.Addr().String() }

func (r *Relay) serve() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				slog.Warn("the tunnel's port stopped taking connections", "error", err)
			}
			return
		}
		r.wg.Add(1)
		go r.carry(c)
	}
}

// dialTimeout bounds reaching the far end: a tunnel being made again
// answers within it or the connection is refused, not left hanging.
const dialTimeout = 20 * time.Second

func (r *Relay) carry(c net.Conn) {
	defer r.wg.Done()
	if !r.track(c, true) {
		c.Close()
		return
	}
	defer r.track(c, false)
	defer c.Close()
	ctx, cancel := context.WithTimeout(r.ctx, dialTimeout)
	far, err := r.dial(ctx)
	cancel()
	if err != nil {
		slog.Debug("the tunnel could not reach the far end", "error", err)
		return // the page sees a closed connection, and asks again
	}
	if !r.track(far, true) {
		far.Close()
		return
	}
	defer r.track(far, false)
	defer far.Close()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		} else {
			_ = dst.Close()
		}
		done <- struct{}{}
	}
	go pipe(far, c)
	go pipe(c, far)
	<-done
	<-done
}

// track adds or removes a connection to close when the relay closes; it
// refuses new ones once it has.
func (r *Relay) track(c net.Conn, add bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !add {
		delete(r.conns, c)
		return true
	}
	if r.ctx.Err() != nil {
		return false
	}
	r.conns[c] = true
	return true
}

// Close gives up the port and ends every connection, then waits for them.
func (r *Relay) Close() {
	r.cancel()
	r.ln.Close()
	r.mu.Lock()
	for c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// Port is the relay's port on 127.0.0.1.
func (r *Relay) Port() int { return r.ln.Addr().(*net.TCPAddr).Port }
