package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/neurodesk/neurodeskapp/app/settings"
)

// Endpoint is one place an engine may answer, and why we looked there.
type Endpoint struct {
	Host   string // e.g. unix:///var/run/docker.sock, tcp://h:2376, ssh://u@h, npipe:////./pipe/docker_engine
	Source string // e.g. "DOCKER_HOST", "context \"remote\"", "default socket"
	// TLSDir holds ca.pem, cert.pem and key.pem when the endpoint needs client TLS.
	TLSDir string
	// Explicit endpoints were chosen by the user; we do not fall back past them.
	Explicit bool
	// SSH is how ssh is run for an ssh:// endpoint.
	SSH SSHOptions
	// DescribeCache is the file where engines' descriptions are remembered
	// ("" remembers nothing).
	DescribeCache string
}

// Env is what discovery reads from the process environment, passed in so
// tests can describe any machine.
type Env struct {
	// DescribeCache: see Endpoint.DescribeCache.
	DescribeCache string
	// Choice is the engine chosen in Settings (settings.Engine's forms):
	// "" finds one; DOCKER_HOST and DOCKER_CONTEXT, for one run, still win.
	Choice        string
	GOOS          string
	Home          string
	Getenv        func(string) string
	XDGRuntimeDir string
	// Relays: see SSHOptions.Relays.
	Relays *Relays
}

// HostEnv describes the running process.
func HostEnv() Env {
	home, _ := os.UserHomeDir()
	return Env{GOOS: runtime.GOOS, Home: home, Getenv: os.Getenv, XDGRuntimeDir: os.Getenv("XDG_RUNTIME_DIR")}
}

// Candidates lists the endpoints to try, in order: DOCKER_HOST; the Docker
// context (DOCKER_CONTEXT, else the config's current context); then the
// well-known sockets of Docker Desktop, Docker Engine, Rancher Desktop,
// Colima and Podman. An explicit DOCKER_HOST or context is the only candidate.
func Candidates(env Env) ([]Endpoint, error) {
	eps, err := candidates(env)
	for i := range eps {
		eps[i].DescribeCache = env.DescribeCache
	}
	return eps, err
}

func candidates(env Env) ([]Endpoint, error) {
	if h := env.Getenv("DOCKER_HOST"); h != "" {
		ep := Endpoint{Host: h, Source: "DOCKER_HOST", Explicit: true}
		if env.Getenv("DOCKER_TLS_VERIFY") != "" || env.Getenv("DOCKER_CERT_PATH") != "" {
			ep.TLSDir = env.Getenv("DOCKER_CERT_PATH")
			if ep.TLSDir == "" {
				ep.TLSDir = dockerConfigDir(env)
			}
		}
		ep.SSH = sshOptionsFor(env)
		return []Endpoint{ep}, nil
	}
	if env.Getenv("DOCKER_CONTEXT") == "" && env.Choice != "" {
		return chosen(env)
	}
	ep, ok, err := contextEndpoint(env)
	if err != nil {
		return nil, err
	}
	if ok {
		ep.SSH = sshOptionsFor(env)
		return []Endpoint{ep}, nil
	}
	return wellKnown(env), nil
}

// chosen is the endpoint list for env.Choice: Docker's or Podman's places
// only, a Docker context, or one address, as DOCKER_HOST would be.
func chosen(env Env) ([]Endpoint, error) {
	c := env.Choice
	switch {
	case c == settings.EngineDocker || c == settings.EnginePodman:
		var eps []Endpoint
		for _, ep := range wellKnown(env) {
			if isPodman := strings.Contains(ep.Source, "Podman"); isPodman == (c == settings.EnginePodman) {
				eps = append(eps, ep)
			}
		}
		return eps, nil
	case strings.HasPrefix(c, settings.EngineContext):
		ctxEnv := env
		name := strings.TrimPrefix(c, settings.EngineContext)
		ctxEnv.Getenv = func(k string) string {
			if k == "DOCKER_CONTEXT" {
				return name
			}
			return env.Getenv(k)
		}
		ep, ok, err := contextEndpoint(ctxEnv)
		if err != nil || !ok {
			return wellKnown(env), err // "default" is the default places
		}
		ep.Source, ep.SSH = "Settings (context "+name+")", sshOptionsFor(env)
		return []Endpoint{ep}, nil
	}
	return []Endpoint{{Host: c, Source: "Settings", Explicit: true, SSH: sshOptionsFor(env)}}, nil
}

func wellKnown(env Env) []Endpoint {
	if env.GOOS == "windows" {
		return []Endpoint{
			{Host: "npipe:////./pipe/docker_engine", Source: "Docker Desktop (named pipe)"},
			{Host: "npipe:////./pipe/dockerDesktopLinuxEngine", Source: "Docker Desktop (Linux engine pipe)"},
			{Host: "npipe:////./pipe/podman-machine-default", Source: "Podman machine (named pipe)"},
		}
	}
	h := env.Home
	var eps []Endpoint
	add := func(path, source string) { eps = append(eps, Endpoint{Host: "unix://" + path, Source: source}) }
	add(filepath.Join(h, ".docker", "run", "docker.sock"), "Docker Desktop (per-user socket)")
	if env.GOOS == "linux" {
		add(filepath.Join(h, ".docker", "desktop", "docker.sock"), "Docker Desktop (per-user socket)")
	}
	add("/var/run/docker.sock", "default socket")
	add(filepath.Join(h, ".rd", "docker.sock"), "Rancher Desktop")
	add(filepath.Join(h, ".colima", "default", "docker.sock"), "Colima")
	if env.XDGRuntimeDir != "" {
		add(filepath.Join(env.XDGRuntimeDir, "podman", "podman.sock"), "Podman (rootless)")
	}
	if env.GOOS == "darwin" {
		add(filepath.Join(h, ".local", "share", "containers", "podman", "machine", "podman.sock"), "Podman machine")
		add(filepath.Join(h, ".local", "share", "containers", "podman", "machine", "qemu", "podman.sock"), "Podman machine")
	}
	add("/run/podman/podman.sock", "Podman (rootful)")
	return eps
}

func dockerConfigDir(env Env) string {
	if d := env.Getenv("DOCKER_CONFIG"); d != "" {
		return d
	}
	return filepath.Join(env.Home, ".docker")
}

// contextEndpoint reads the Docker CLI's context store, the same files
// `docker context use` writes, so we talk to the engine the user's CLI does.
func contextEndpoint(env Env) (Endpoint, bool, error) {
	dir := dockerConfigDir(env)
	name := env.Getenv("DOCKER_CONTEXT")
	source := "DOCKER_CONTEXT"
	if name == "" {
		var cfg struct {
			CurrentContext string `json:"currentContext"`
		}
		b, err := os.ReadFile(filepath.Join(dir, "config.json"))
		if errors.Is(err, fs.ErrNotExist) {
			return Endpoint{}, false, nil
		}
		if err != nil {
			return Endpoint{}, false, fmt.Errorf("read Docker config: %w", err)
		}
		if err := json.Unmarshal(b, &cfg); err != nil {
			// The Docker CLI refuses such a file too; tell the user rather than guess.
			return Endpoint{}, false, fmt.Errorf("read Docker config %s: %w", filepath.Join(dir, "config.json"), err)
		}
		name, source = cfg.CurrentContext, "current Docker context"
	}
	if name == "" || name == "default" {
		return Endpoint{}, false, nil
	}
	sum := sha256.Sum256([]byte(name))
	id := hex.EncodeToString(sum[:])
	b, err := os.ReadFile(filepath.Join(dir, "contexts", "meta", id, "meta.json"))
	if err != nil {
		return Endpoint{}, false, fmt.Errorf("read Docker context %q: %w", name, err)
	}
	var meta struct {
		Endpoints map[string]struct {
			Host string `json:"Host"`
		} `json:"Endpoints"`
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return Endpoint{}, false, fmt.Errorf("parse Docker context %q: %w", name, err)
	}
	host := meta.Endpoints["docker"].Host
	if host == "" {
		return Endpoint{}, false, fmt.Errorf("docker context %q names no engine host", name)
	}
	ep := Endpoint{Host: host, Source: fmt.Sprintf("%s %q", source, name), Explicit: true}
	tls := filepath.Join(dir, "contexts", "tls", id, "docker")
	if _, err := os.Stat(filepath.Join(tls, "ca.pem")); err == nil {
		ep.TLSDir = tls
	}
	return ep, true, nil
}

// socketPath returns the file behind a unix:// host, or "".
func socketPath(host string) string {
	if p, ok := strings.CutPrefix(host, "unix://"); ok {
		return p
	}
	return ""
}
