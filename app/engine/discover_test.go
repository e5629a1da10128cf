package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/neurodesk/neurodeskapp/app/settings"
)

func envOf(goos, home string, vars map[string]string) Env {
	return Env{GOOS: goos, Home: home, Getenv: func(k string) string { return vars[k] }, XDGRuntimeDir: vars["XDG_RUNTIME_DIR"]}
}

func writeContext(t *testing.T, cfgDir, name, host string) {
	t.Helper()
	sum := sha256.Sum256([]byte(name))
	dir := filepath.Join(cfgDir, "contexts", "meta", hex.EncodeToString(sum[:]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	meta := `{"Name":"` + name + `","Metadata":{},"Endpoints":{"docker":{"Host":"` + host + `","SkipTLSVerify":false}}}`
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCandidatesOrder(t *testing.T) {
	home := t.TempDir()
	cfg := filepath.Join(home, ".docker")
	writeContext(t, cfg, "remote", "ssh://me@lab-server")
	writeContext(t, cfg, "colima", "unix:///Users/me/.colima/default/docker.sock")
	os.WriteFile(filepath.Join(cfg, "config.json"), []byte(`{"currentContext":"colima"}`), 0o644)

	tests := []struct {
		name      string
		goos      string
		vars      map[string]string
		wantFirst string
		wantOnly  bool
		contains  []string
	}{
		{"DOCKER_HOST wins over everything", "linux", map[string]string{"DOCKER_HOST": "tcp://10.0.0.5:2375", "DOCKER_CONTEXT": "remote"}, "tcp://10.0.0.5:2375", true, nil},
		{"DOCKER_CONTEXT beats the current context", "linux", map[string]string{"DOCKER_CONTEXT": "remote"}, "ssh://me@lab-server", true, nil},
		{"current context from config.json", "darwin", map[string]string{}, "unix:///Users/me/.colima/default/docker.sock", true, nil},
		{"default context falls through to sockets", "linux", map[string]string{"DOCKER_CONTEXT": "default", "XDG_RUNTIME_DIR": "/run/user/1000"}, "unix://" + filepath.Join(home, ".docker/run/docker.sock"), false,
			[]string{"unix:///var/run/docker.sock", "unix://" + filepath.Join("/run/user/1000", "podman/podman.sock"), "unix:///run/podman/podman.sock", "unix://" + filepath.Join(home, ".docker/desktop/docker.sock")}},
		{"windows named pipes", "windows", map[string]string{"DOCKER_CONTEXT": "default"}, "npipe:////./pipe/docker_engine", false, []string{"npipe:////./pipe/podman-machine-default"}},
		{"macOS podman machine", "darwin", map[string]string{"DOCKER_CONTEXT": "default"}, "unix://" + filepath.Join(home, ".docker/run/docker.sock"), false,
			[]string{"unix://" + filepath.Join(home, ".local/share/containers/podman/machine/podman.sock")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eps, err := Candidates(envOf(tt.goos, home, tt.vars))
			if err != nil {
				t.Fatal(err)
			}
			if eps[0].Host != tt.wantFirst {
				t.Errorf("first = %q, want %q", eps[0].Host, tt.wantFirst)
			}
			if tt.wantOnly && (len(eps) != 1 || !eps[0].Explicit) {
				t.Errorf("want one explicit endpoint, got %+v", eps)
			}
			var hosts []string
			for _, e := range eps {
				hosts = append(hosts, e.Host)
			}
			for _, c := range tt.contains {
				if !slices.Contains(hosts, c) {
					t.Errorf("candidates %v lack %s", hosts, c)
				}
			}
		})
	}
}

func TestCandidatesBadContext(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".docker"), 0o755)
	os.WriteFile(filepath.Join(home, ".docker", "config.json"), []byte(`{not json`), 0o644)
	if _, err := Candidates(envOf("linux", home, nil)); err == nil {
		t.Error("a corrupt Docker config was silently ignored")
	}
	if _, err := Candidates(envOf("linux", home, map[string]string{"DOCKER_CONTEXT": "missing"})); err == nil {
		t.Error("a missing context was silently ignored")
	}
}

func TestContextTLS(t *testing.T) {
	home := t.TempDir()
	cfg := filepath.Join(home, ".docker")
	writeContext(t, cfg, "secure", "tcp://engine:2376")
	sum := sha256.Sum256([]byte("secure"))
	tls := filepath.Join(cfg, "contexts", "tls", hex.EncodeToString(sum[:]), "docker")
	os.MkdirAll(tls, 0o700)
	os.WriteFile(filepath.Join(tls, "ca.pem"), []byte("x"), 0o600)
	eps, err := Candidates(envOf("linux", home, map[string]string{"DOCKER_CONTEXT": "secure"}))
	if err != nil || eps[0].TLSDir != tls {
		t.Errorf("TLS dir = %q (%v), want %q", eps[0].TLSDir, err, tls)
	}
}

func TestKindOf(t *testing.T) {
	tests := []struct {
		os, name   string
		components []string
		host       string
		want       Kind
	}{
		{"Debian GNU/Linux 12 (bookworm)", "vm", []string{"Engine", "containerd"}, "unix:///var/run/docker.sock", KindDockerEngine},
		{"Docker Desktop", "docker-desktop", []string{"Engine"}, "unix:///Users/a/.docker/run/docker.sock", KindDockerDesktop},
		{"fedora", "host", []string{"Podman Engine"}, "unix:///run/user/1000/podman/podman.sock", KindPodman},
		{"Alpine Linux v3.18", "lima-rancher-desktop", []string{"Engine"}, "unix:///Users/a/.rd/docker.sock", KindRancherDesktop},
		{"Rancher Desktop WSL Distribution", "x", nil, "npipe:////./pipe/docker_engine", KindRancherDesktop},
	}
	for _, tt := range tests {
		if got := kindOf(tt.os, tt.name, tt.components, tt.host); got != tt.want {
			t.Errorf("kindOf(%q, %q, %v) = %s, want %s", tt.os, tt.name, tt.components, got, tt.want)
		}
	}
}

// The engine chosen in Settings: Docker's or Podman's places only, a Docker
// context by name, or one address, which is not fallen back past; an
// explicit DOCKER_HOST, for one run, still wins.
func TestChosenEngine(t *testing.T) {
	home := t.TempDir()
	writeContext(t, filepath.Join(home, ".docker"), "lab", "ssh://me@lab-server")
	hosts := func(choice string, vars map[string]string) ([]string, bool) {
		t.Helper()
		env := envOf("linux", home, vars)
		env.XDGRuntimeDir, env.Choice = "/run/user/1000", choice
		eps, err := Candidates(env)
		if err != nil {
			t.Fatal(err)
		}
		var hs []string
		for _, e := range eps {
			hs = append(hs, e.Host)
		}
		return hs, len(eps) == 1 && eps[0].Explicit
	}
	podman, _ := hosts(settings.EnginePodman, nil)
	if len(podman) != 2 || !slices.Contains(podman, "unix:///run/podman/podman.sock") || !strings.Contains(podman[0], "podman") {
		t.Errorf("podman: %v", podman)
	}
	docker, _ := hosts(settings.EngineDocker, nil)
	if slices.ContainsFunc(docker, func(h string) bool { return strings.Contains(h, "podman") }) || !slices.Contains(docker, "unix:///var/run/docker.sock") {
		t.Errorf("docker: %v", docker)
	}
	if ctx, _ := hosts("context:lab", nil); !slices.Equal(ctx, []string{"ssh://me@lab-server"}) {
		t.Errorf("context: %v", ctx)
	}
	if addr, explicit := hosts("tcp://10.0.0.5:2375", nil); !slices.Equal(addr, []string{"tcp://10.0.0.5:2375"}) || !explicit {
		t.Errorf("address: %v (explicit %v)", addr, explicit)
	}
	if env, _ := hosts(settings.EnginePodman, map[string]string{"DOCKER_HOST": "unix:///srv/engine.sock"}); !slices.Equal(env, []string{"unix:///srv/engine.sock"}) {
		t.Errorf("DOCKER_HOST with a choice: %v", env)
	}
}
