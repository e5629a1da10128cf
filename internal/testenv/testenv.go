// Package testenv gives integration tests a real Docker daemon, or a clear
// skip when there is none and NEURODESK_REQUIRE_DOCKER is unset (CI sets it,
// so a missing daemon fails there instead of passing silently).
package testenv

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

// Docker returns a client for the local daemon.
func Docker(t testing.TB) *client.Client {
	t.Helper()
	c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_, err = c.Ping(ctx)
	}
	if err != nil {
		if os.Getenv("NEURODESK_REQUIRE_DOCKER") != "" {
			t.Fatalf("NEURODESK_REQUIRE_DOCKER is set but no Docker daemon answers: %v", err)
		}
		t.Skipf("no Docker daemon answers (%v); set NEURODESK_REQUIRE_DOCKER=1 to make this a failure", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// ModuleRoot is the repository root, found from this file's location.
func ModuleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// PrivilegedAllowed reports whether the engine runs privileged containers:
// some sandboxed machines (this project's CI among them) withhold a
// capability from the daemon, and runc then refuses every privileged start.
// It imports a one-file image holding statBinary and tries.
func PrivilegedAllowed(ctx context.Context, c *client.Client, statBinary string) (bool, error) {
	bin, err := os.ReadFile(statBinary)
	if err != nil {
		return false, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "stat", Mode: 0o755, Size: int64(len(bin))}) //nolint:errcheck // in memory
	tw.Write(bin)                                                                 //nolint:errcheck
	tw.Close()
	ref := "neurodeskapp-test/privileged-probe:latest"
	rc, err := c.ImageImport(ctx, image.ImportSource{Source: &buf, SourceName: "-"}, ref, image.ImportOptions{})
	if err != nil {
		return false, err
	}
	io.Copy(io.Discard, rc) //nolint:errcheck
	rc.Close()
	defer c.ImageRemove(ctx, ref, image.RemoveOptions{Force: true}) //nolint:errcheck
	created, err := c.ContainerCreate(ctx, &container.Config{Image: ref, Entrypoint: []string{"/stat"}, Cmd: []string{"-c", "%u:%g", "/"}},
		&container.HostConfig{Privileged: true}, nil, nil, "")
	if err != nil {
		return false, err
	}
	defer c.ContainerRemove(ctx, created.ID, container.RemoveOptions{Force: true}) //nolint:errcheck
	if err := c.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		if strings.Contains(err.Error(), "apply caps") {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// Xvfb starts a private X server on the first free display from first on
// and returns its DISPLAY value and a function that stops it. A display
// whose lock names a dead process is stale and taken over.
func Xvfb(first int) (string, func(), error) {
	if _, err := exec.LookPath("Xvfb"); err != nil {
		return "", nil, fmt.Errorf("xvfb is missing (scripts/deps.sh test installs it): %w", err)
	}
	for n := first; n < first+50; n++ {
		if displayInUse(n) {
			continue
		}
		cmd := exec.Command("Xvfb", fmt.Sprintf(":%d", n), "-screen", "0", "1400x900x24", "-nolisten", "tcp")
		if err := cmd.Start(); err != nil {
			return "", nil, err
		}
		stop := func() {
			// TERM lets Xvfb remove its lock and socket; KILL would leave them.
			cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(3 * time.Second):
				cmd.Process.Kill()
				<-done
			}
		}
		// Ready when its socket takes a connection, not when it exists:
		// a GUI started earlier fails GTK's init.
		for i := 0; i < 50; i++ {
			if c, err := net.Dial("unix", fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
				c.Close()
				return fmt.Sprintf(":%d", n), stop, nil
			}
			time.Sleep(100 * time.Millisecond)
		}
		stop()
	}
	return "", nil, fmt.Errorf("no free X display from :%d", first)
}

func displayInUse(n int) bool {
	lock := fmt.Sprintf("/tmp/.X%d-lock", n)
	b, err := os.ReadFile(lock)
	if err != nil {
		_, serr := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n))
		return serr == nil
	}
	var pid int
	fmt.Sscanf(strings.TrimSpace(string(b)), "%d", &pid)
	if pid > 0 && syscall.Kill(pid, 0) == nil {
		return true
	}
	os.Remove(lock) // stale: its server is gone
	os.Remove(fmt.Sprintf("/tmp/.X11-unix/X%d", n))
	return false
}
