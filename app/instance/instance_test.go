package instance

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// handsOver: while first serves dir, a second launch cannot take the lock
// and its args reach first.
func handsOver(t *testing.T, first *Lock, dir string, args []string) {
	t.Helper()
	got := make(chan []string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go first.Serve(ctx, func(args []string) { got <- args })
	if _, err := Acquire(dir); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Acquire: %v, want ErrRunning", err)
	}
	if err := Notify(dir, args); err != nil {
		t.Fatal(err)
	}
	select {
	case a := <-got:
		if !slices.Equal(a, args) {
			t.Errorf("args %v, want %v", a, args)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the first instance heard nothing")
	}
}

func TestSecondLaunchHandsOver(t *testing.T) {
	needUnixSockets(t)
	dir := t.TempDir()
	first, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	handsOver(t, first, dir, []string{"--open", "x y"})
	first.Release()
	again, err := Acquire(dir)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again.Release()
}

func TestAcquireWaitGetsTheLockOnceReleased(t *testing.T) {
	needUnixSockets(t)
	dir := t.TempDir()
	first, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(300*time.Millisecond, first.Release)
	start := time.Now()
	second, err := AcquireWait(dir, 5*time.Second)
	if err != nil {
		t.Fatalf("after the first quit: %v", err)
	}
	second.Release()
	if time.Since(start) < 250*time.Millisecond {
		t.Error("got the lock while the first instance still held it")
	}
	held, _ := Acquire(dir)
	defer held.Release()
	if _, err := AcquireWait(dir, 200*time.Millisecond); !errors.Is(err, ErrRunning) {
		t.Errorf("waited past the deadline: %v", err)
	}
}

// TestLongStatePath: a state folder whose socket path would pass the OS
// limit still gets one instance and hands over to it.
func TestLongStatePath(t *testing.T) {
	needUnixSockets(t)
	dir := filepath.Join(t.TempDir(), strings.Repeat("a-very-long-folder-name/", 6))
	first, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Release()
	if len(first.sock) > maxSocketPath || strings.HasPrefix(first.sock, dir) {
		t.Errorf("socket %s", first.sock)
	}
	handsOver(t, first, dir, []string{"hi"})
	other, err := Acquire(filepath.Join(dir, "x"+strings.Repeat("b", 40)))
	if err != nil {
		t.Fatalf("another long state folder: %v", err)
	}
	defer other.Release()
	if other.sock == first.sock {
		t.Error("two state folders share a socket")
	}
}
