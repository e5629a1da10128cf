package engine

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/neurodesk/neurodeskapp/app/settings"
)

// podmanIdle is how long Podman's API service stays after its last call.
// Sessions do not need it (their containers run under conmon), only the
// app's calls do, and the app starts it again when it is gone.
const podmanIdle = 10 * time.Minute

// podmanServiceEndpoint is where rootless Podman's API would answer when
// Podman is installed but nothing serves its socket: Podman has no daemon,
// and without a systemd user session (or with podman.socket not enabled,
// as on a machine where `make run` has just installed it) nobody starts
// one. The app then starts `podman system service` itself, as the socket
// unit would. ok is false where that does not apply.
func podmanServiceEndpoint(env Env) (Endpoint, bool) {
	if env.GOOS != "linux" || env.XDGRuntimeDir == "" || (env.Choice != "" && env.Choice != settings.EnginePodman) {
		return Endpoint{}, false
	}
	if env.Getenv("DOCKER_HOST") != "" || env.Getenv("DOCKER_CONTEXT") != "" {
		return Endpoint{}, false
	}
	if _, err := exec.LookPath("podman"); err != nil {
		return Endpoint{}, false
	}
	sock := filepath.Join(env.XDGRuntimeDir, "podman", "podman.sock")
	if c, err := net.DialTimeout("unix", sock, time.Second); err == nil {
		c.Close()
		return Endpoint{}, false // it answers: Connect has tried it already
	}
	return Endpoint{Host: "unix://" + sock, Source: "Podman (rootless, started by the app)"}, true
}

// startPodmanService runs Podman's API service on ep's socket, in a
// session of its own so it outlives the app, and waits for it to answer.
func startPodmanService(ctx context.Context, ep Endpoint) error {
	sock := socketPath(ep.Host)
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		return fmt.Errorf("start Podman's service: %w", err)
	}
	_ = os.Remove(sock) // a socket left by a service that died
	log, err := os.OpenFile(filepath.Join(filepath.Dir(sock), "neurodeskapp-service.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("start Podman's service: %w", err)
	}
	defer log.Close()
	cmd := exec.Command("podman", "system", "service", fmt.Sprintf("--time=%d", int(podmanIdle.Seconds())), ep.Host)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = detached()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start Podman's service: %w", err)
	}
	go cmd.Wait() //nolint:errcheck // it runs on; its exit is its own business
	for {
		if c, err := net.DialTimeout("unix", sock, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
