package engine

import "strings"

// Kind names the product behind the API; remedies and defaults differ.
type Kind string

const (
	KindDockerEngine   Kind = "docker-engine"
	KindDockerDesktop  Kind = "docker-desktop"
	KindPodman         Kind = "podman"
	KindRancherDesktop Kind = "rancher-desktop"
)

// String is the product name a person recognises.
func (k Kind) String() string {
	switch k {
	case KindDockerDesktop:
		return "Docker Desktop"
	case KindPodman:
		return "Podman"
	case KindRancherDesktop:
		return "Rancher Desktop"
	case KindDockerEngine:
		return "Docker Engine"
	}
	return string(k)
}

// kindOf tells the products apart from what Info and Version report.
func kindOf(operatingSystem, name string, components []string, host string) Kind {
	for _, c := range components {
		if strings.Contains(strings.ToLower(c), "podman") {
			return KindPodman
		}
	}
	switch {
	case strings.Contains(strings.ToLower(name), "rancher-desktop") || strings.Contains(operatingSystem, "Rancher Desktop") || strings.Contains(host, "/.rd/"):
		return KindRancherDesktop
	case operatingSystem == "Docker Desktop":
		return KindDockerDesktop
	}
	return KindDockerEngine
}
