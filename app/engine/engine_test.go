package engine

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/neurodesk/neurodeskapp/app/problem"
)

// fakeEngine answers the few endpoints a handshake uses, as an engine
// speaking apiVersion would.
func fakeEngine(t *testing.T, apiVersion string) string {
	t.Helper()
	return fakePodman(t, apiVersion, "")
}

// infoCalls counts the fakes' /info answers.
var infoCalls atomic.Int64

// fakePodman is fakeEngine whose libpod API answers /libpod/info with
// libpodInfo ("" for an engine without one).
func fakePodman(t *testing.T, apiVersion, libpodInfo string) string {
	t.Helper()
	// Windows' engines are reached on named pipes or TCP; Wine has no
	// AF_UNIX sockets.
	network, addr, scheme := "unix", filepath.Join(t.TempDir(), "engine.sock"), "unix://"
	if runtime.GOOS == "windows" {
		network, addr, scheme = "tcp", "127.0.0.1:0", "tcp://"
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/_ping", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("API-Version", apiVersion)
		w.Header().Set("Server", "Libpod/4.9.3 (linux)")
		w.Write([]byte("OK"))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/libpod/info") {
			if libpodInfo == "" {
				http.NotFound(w, r)
				return
			}
			w.Write([]byte(libpodInfo))
			return
		}
		switch filepath.Base(r.URL.Path) {
		case "info":
			infoCalls.Add(1)
			w.Write([]byte(`{"ServerVersion":"4.9.3","OperatingSystem":"fedora","DockerRootDir":"/var/lib/containers","SecurityOptions":["name=seccomp","name=apparmor"],"NCPU":4,"MemTotal":8000000000}`))
		case "version":
			w.Write([]byte(`{"Version":"4.9.3","Components":[{"Name":"Podman Engine","Version":"4.9.3"}]}`))
		default:
			http.NotFound(w, r)
		}
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return scheme + l.Addr().String()
}

func TestOpenNegotiatesAPIVersion(t *testing.T) {
	host := fakeEngine(t, "1.41")
	e, err := Open(context.Background(), Endpoint{Host: host})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	i := e.Info()
	if i.APIVersion != "1.41" {
		t.Errorf("negotiated API %q, want 1.41 (negotiation must stay on)", i.APIVersion)
	}
	if i.Kind != KindPodman || !i.AppArmor || i.NCPU != 4 {
		t.Errorf("info %+v", i)
	}
}

// Podman's compat /info does not say it is rootless; its own API does.
func TestOpenFindsRootlessPodman(t *testing.T) {
	for _, tt := range []struct {
		libpod string
		want   bool
	}{
		{`{"host":{"security":{"rootless":true}}}`, true},
		{`{"host":{"security":{"rootless":false}}}`, false},
		{"", false},
		{"not json", false},
	} {
		e, err := Open(context.Background(), Endpoint{Host: fakePodman(t, "1.41", tt.libpod)})
		if err != nil {
			t.Fatal(err)
		}
		if got := e.Info().Rootless; got != tt.want {
			t.Errorf("libpod info %q: rootless %v, want %v", tt.libpod, got, tt.want)
		}
		e.Close()
	}
}

func TestOpenRejectsOldAPI(t *testing.T) {
	_, err := Open(context.Background(), Endpoint{Host: fakeEngine(t, "1.30")})
	if problem.CodeOf(err) != problem.EngineAPITooOld || problem.RemedyOf(err) == "" {
		t.Errorf("err = %v (code %s)", err, problem.CodeOf(err))
	}
}

func TestConnectReportsFailures(t *testing.T) {
	dir := t.TempDir()
	hole, _ := net.Listen("tcp", "127.0.0.1:0")
	defer hole.Close()
	type failure struct {
		name string
		host string
		want problem.Code
	}
	cases := []failure{{"black hole", "tcp://" + hole.Addr().String(), problem.EngineNotRunning}}
	if runtime.GOOS == "windows" {
		cases = append(cases, failure{"missing named pipe", "npipe:////./pipe/neurodesk-test-none", problem.EngineNotRunning})
	} else {
		stale := filepath.Join(dir, "stale.sock") // a socket file nobody listens on
		l, _ := net.Listen("unix", stale)
		l.(*net.UnixListener).SetUnlinkOnClose(false)
		l.Close()
		cases = append(cases,
			failure{"socket without engine", "unix://" + stale, problem.EngineNotRunning},
			failure{"missing socket", "unix://" + filepath.Join(dir, "none.sock"), problem.EngineNotRunning})
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, attempts, err := Connect(context.Background(), envOf("linux", dir, map[string]string{"DOCKER_HOST": tt.host}))
			if problem.CodeOf(err) != tt.want {
				t.Errorf("code %s (%v), want %s", problem.CodeOf(err), err, tt.want)
			}
			if len(attempts) != 1 || attempts[0].Endpoint.Host != tt.host {
				t.Errorf("attempts %+v", attempts)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %s, want under 2s", d)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	bin := t.TempDir()
	t.Setenv("PATH", bin) // no docker or podman binary
	env := envOf("linux", t.TempDir(), nil)
	if code := problem.CodeOf(summarize(nil, env)); code != problem.EngineNotInstalled {
		t.Errorf("nothing anywhere: %s, want engine_not_installed", code)
	}
	os.WriteFile(filepath.Join(bin, "docker"+exeSuffix()), []byte("#!/bin/sh\n"), 0o755)
	if code := problem.CodeOf(summarize(nil, env)); code != problem.EngineNotRunning {
		t.Errorf("docker installed, no socket: %s, want engine_not_running", code)
	}
	notRunning := classify(Endpoint{Host: "unix:///run/podman/podman.sock"}, syscall.ECONNREFUSED)
	denied := classify(Endpoint{Host: "unix:///var/run/docker.sock"}, syscall.EACCES)
	err := summarize([]Attempt{{Err: notRunning}, {Err: denied}}, env)
	if problem.CodeOf(err) != problem.EnginePermissionDenied {
		t.Errorf("permission denied should be reported over not running, got %v", err)
	}
}

func TestRemedyNamesAnExplicitHost(t *testing.T) {
	err := classify(Endpoint{Host: "unix:///srv/engine.sock", Source: "DOCKER_HOST", Explicit: true}, syscall.ECONNREFUSED)
	if r := problem.RemedyOf(err); !strings.Contains(r, "DOCKER_HOST") || !strings.Contains(r, "/srv/engine.sock") {
		t.Errorf("remedy %q", r)
	}
}

// A second connect to the same, unchanged engine needs only a ping; a
// restarted engine (its socket made anew) is described again. Podman's
// made-up-per-call compat ID is replaced by a stable one.
func TestDescriptionRemembered(t *testing.T) {
	host := fakeEngine(t, "1.41")
	cache := filepath.Join(t.TempDir(), "engines.json")
	open := func() Info {
		t.Helper()
		e, err := Open(context.Background(), Endpoint{Host: host, DescribeCache: cache})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		return e.Info()
	}
	before := infoCalls.Load()
	first := open()
	second := open()
	if n := infoCalls.Load() - before; n != 1 {
		t.Errorf("/info asked %d times for two connects, want 1", n)
	}
	if second.Kind != KindPodman || second.ID != first.ID || second.NCPU != 4 || second.APIVersion != "1.41" {
		t.Errorf("remembered %+v, first %+v", second, first)
	}
	// (Windows' test engine is on TCP, with no socket file to say so.)
	if runtime.GOOS != "windows" {
		sock := strings.TrimPrefix(host, "unix://")
		later := time.Now().Add(time.Minute)
		os.Chtimes(sock, later, later) // as if the engine made it anew
		open()
		if n := infoCalls.Load() - before; n != 2 {
			t.Errorf("a restarted engine was not described again (%d /info calls)", n)
		}
	}
	os.WriteFile(cache, []byte("{not json"), 0o600)
	open()
	if aside, _ := filepath.Glob(cache + ".corrupt-*"); len(aside) != 1 {
		t.Errorf("a damaged cache was not kept aside: %v", aside)
	}
}

// With no engine at all, the remedy names what to install on this OS, with
// the official addresses, and that the app will find it.
func TestNoEngineSaysWhatToInstall(t *testing.T) {
	for goos, want := range map[string][]string{
		"windows": {"https://www.docker.com/products/docker-desktop/", "WSL 2", "https://podman-desktop.io/"},
		"darwin":  {"https://www.docker.com/products/docker-desktop/", "https://podman-desktop.io/"},
		"linux":   {"https://docs.docker.com/engine/install/", "sudo apt-get install podman"},
	} {
		r := notInstalledRemedy(goos)
		for _, w := range append(want, "finds it by itself") {
			if !strings.Contains(r, w) {
				t.Errorf("%s: %q lacks %q", goos, r, w)
			}
		}
	}
}
