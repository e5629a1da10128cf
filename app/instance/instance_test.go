package instance

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestSecondLaunchHandsOver(t *testing.T) {
	dir := t.TempDir()
	first, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go first.Serve(ctx, func(args []string) { got <- args })
	if _, err := Acquire(dir); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Acquire: %v, want ErrRunning", err)
	}
	if err := Notify(dir, []string{"--open", "x y"}); err != nil {
		t.Fatal(err)
	}
	select {
	case a := <-got:
		if !slices.Equal(a, []string{"--open", "x y"}) {
			t.Errorf("args %v", a)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the first instance heard nothing")
	}
	first.Release()
	again, err := Acquire(dir)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again.Release()
}

func TestAcquireWaitGetsTheLockOnceReleased(t *testing.T) {
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
