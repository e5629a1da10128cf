package relay

import (
	"bufio"
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

func echo(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				s := bufio.NewScanner(c)
				for s.Scan() {
					c.Write([]byte("echo " + s.Text() + "\n"))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestRelayCarriesAndKeepsItsPort(t *testing.T) {
	far := echo(t)
	var down atomic.Bool
	r, err := Listen("", func(ctx context.Context) (net.Conn, error) {
		if down.Load() {
			return nil, errors.New("the tunnel is being made again")
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", far)
	})
	if err != nil {
		t.Fatal(err)
	}
	ask := func() (string, error) {
		c, err := net.Dial("tcp", r.Addr())
		if err != nil {
			return "", err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write([]byte("hello\n"))
		return bufio.NewReader(c).ReadString('\n')
	}
	if got, err := ask(); err != nil || got != "echo hello\n" {
		t.Fatalf("through the relay: %q %v", got, err)
	}
	// While the far end cannot be reached, nobody else can take the port.
	down.Store(true)
	if got, err := ask(); err == nil && got != "" {
		t.Errorf("the far end was down, yet the relay answered %q", got)
	}
	if ln, err := net.Listen("tcp", r.Addr()); err == nil {
		ln.Close()
		t.Fatal("another program took the tunnel's port while its far end was down")
	}
	down.Store(false)
	if got, err := ask(); err != nil || got != "echo hello\n" {
		t.Errorf("after the far end came back: %q %v", got, err)
	}
	// Close ends a connection in use, and gives the port back.
	c, _ := net.Dial("tcp", r.Addr())
	c.Write([]byte("x\n"))
	bufio.NewReader(c).ReadString('\n')
	r.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := bufio.NewReader(c).ReadString('\n'); err == nil {
		t.Error("a connection outlived Close")
	}
	if ln, err := net.Listen("tcp", r.Addr()); err != nil {
		t.Errorf("the port was not given back: %v", err)
	} else {
		ln.Close()
	}
}
