package engine

import (
	"fmt"
	"runtime"
	"strings"
)

// The remedies are what a person types or clicks; keep them short and exact.

func permissionRemedy(sock string) string {
	switch runtime.GOOS {
	case "windows":
		return "Ask an administrator to add your account to the docker-users group, then sign out and back in."
	case "darwin":
		return fmt.Sprintf("Your user cannot open %s. Restart Docker Desktop; if that does not help, enable \"Allow the default Docker socket to be used\" in Docker Desktop > Settings > Advanced.", sock)
	}
	if strings.Contains(sock, "podman") {
		return fmt.Sprintf("Your user cannot open %s. Use the rootless socket instead: systemctl --user enable --now podman.socket", sock)
	}
	return fmt.Sprintf("Your user cannot open %s. Add yourself to the docker group: sudo usermod -aG docker $USER — then log out and back in.", sock)
}

func notRunningRemedy(ep Endpoint) string {
	switch {
	case strings.HasPrefix(ep.Host, "ssh://") || strings.HasPrefix(ep.Host, "tcp://"):
		return fmt.Sprintf("Check that the remote engine at %s is running and reachable (it was set by %s).", ep.Host, ep.Source)
	case ep.Explicit && ep.Source == "DOCKER_HOST":
		return fmt.Sprintf("Start the engine that listens at %s, or unset DOCKER_HOST to use the default one; then press Retry.", ep.Host)
	case strings.Contains(ep.Host, "podman"):
		if runtime.GOOS == "linux" {
			return "Start Podman's API socket: systemctl --user enable --now podman.socket"
		}
		return "Start the Podman machine: podman machine start"
	}
	switch runtime.GOOS {
	case "darwin", "windows":
		return "Start Docker Desktop and wait until it says it is running, then press Retry."
	}
	return "Start Docker: sudo systemctl start docker — then press Retry."
}

func notInstalledRemedy(goos string) string {
	const found = " The app finds it by itself once it runs."
	switch goos {
	case "darwin":
		return "Install Docker Desktop (https://www.docker.com/products/docker-desktop/) or Podman Desktop (https://podman-desktop.io/) and start it." + found
	case "windows":
		return "Install Docker Desktop (https://www.docker.com/products/docker-desktop/), which uses WSL 2, or Podman Desktop (https://podman-desktop.io/), and start it." + found
	}
	return "Install Docker Engine (https://docs.docker.com/engine/install/) or Podman (on Debian and Ubuntu: sudo apt-get install podman), and start it." + found
}
