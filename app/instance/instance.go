// Package instance keeps one app per user: the first launch takes a lock
// and listens on a socket; a second launch hands its arguments over and
// exits. Wails' own lock needs a session bus on Linux; this needs nothing.
package instance

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
)

// ErrRunning means another instance holds the lock.
var ErrRunning = errors.New("another instance is running")

// Lock is held by the first instance.
type Lock struct {
	file *os.File
	l    net.Listener
	sock string
}

// Acquire takes the lock in dir, or returns ErrRunning.
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("single-instance lock: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "instance.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("single-instance lock: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, ErrRunning
	}
	l, sock, err := listen(dir)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("single-instance socket: %w", err)
	}
	return &Lock{file: f, l: l, sock: sock}, nil
}

// AcquireWait retries Acquire until the other instance is gone or wait
// passes: an updated app restarting while the old one quits.
func AcquireWait(dir string, wait time.Duration) (*Lock, error) {
	deadline := time.Now().Add(wait)
	for {
		l, err := Acquire(dir)
		if !errors.Is(err, ErrRunning) || time.Now().After(deadline) {
			return l, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Serve calls onLaunch with the arguments of every later launch, until
// ctx ends or the lock is released.
func (k *Lock) Serve(ctx context.Context, onLaunch func(args []string)) {
	go func() {
		<-ctx.Done()
		k.l.Close()
	}()
	for {
		c, err := k.l.Accept()
		if err != nil {
			return
		}
		c.SetDeadline(time.Now().Add(2 * time.Second))
		var args []string
		if json.NewDecoder(bufio.NewReader(c)).Decode(&args) == nil {
			onLaunch(args)
		}
		c.Close()
	}
}

// Release gives up the lock.
func (k *Lock) Release() {
	k.l.Close()
	os.Remove(k.sock)
	k.file.Close()
}

// Notify hands args to the running instance in dir.
func Notify(dir string, args []string) error {
	c, err := dial(dir, 2*time.Second)
	if err != nil {
		return fmt.Errorf("reach the running instance: %w", err)
	}
	defer c.Close()
	if args == nil {
		args = []string{}
	}
	return json.NewEncoder(c).Encode(args)
}
