// Package integration runs the neurodeskapp binary against the real Docker
// daemon, pulling a stand-in image from a registry on 127.0.0.1.
package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"

	"github.com/neurodesk/neurodeskapp/internal/testenv"
	"github.com/neurodesk/neurodeskapp/internal/testimage"
	"github.com/neurodesk/neurodeskapp/internal/testregistry"
)

// paddingSize makes the pull last long enough to report progress.
const paddingSize = 8 << 20

// shared is built once per test binary: the app, the stand-in and its images.
type shared struct {
	bin      string
	standin  string
	registry *testregistry.Registry
	good     testimage.Image
	failing  testimage.Image
	// privileged is false where the engine refuses privileged containers
	// (this project's CI machines): sessions there fall back to the minimal
	// privileges CVMFS needs.
	privileged bool
	// engine is NEURODESK_TEST_ENGINE: "" for Docker, podman-rootful or
	// podman-rootless or docker-rootless (scripts/test-engine.sh sets it and DOCKER_HOST).
	engine string
	// runAs is the user the app runs as (NEURODESK_TEST_RUN_AS=uid:gid, the
	// rootless engine's owner), or nil for this process's own.
	runAs *syscall.Credential
}

func (s *shared) podman() bool { return strings.HasPrefix(s.engine, "podman") }

// registryAddr is the registry as the engine reaches it: rootless Docker's
// network sees this machine's loopback at NEURODESK_TEST_REGISTRY_HOST.
func (s *shared) registryAddr() string {
	if h := os.Getenv("NEURODESK_TEST_REGISTRY_HOST"); h != "" {
		_, port, _ := strings.Cut(s.registry.Addr, ":")
		return h + ":" + port
	}
	return s.registry.Addr
}

// hostUser is the uid the app runs as.
// appUser is who owns what the session writes on the host: the app's
// user, or the image's 1000 when the app runs as root.
func (s *shared) appUser() int {
	if u := s.hostUser(); u != 0 {
		return u
	}
	return 1000
}

func (s *shared) hostUser() int {
	if s.runAs != nil {
		return int(s.runAs.Uid)
	}
	return os.Getuid()
}

var (
	probeOnce sync.Once
	probeErr  error
	setupOnce sync.Once
	setupVal  *shared
	setupErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if setupVal != nil {
		setupVal.registry.Close()
		os.RemoveAll(filepath.Dir(setupVal.bin))
	}
	os.Exit(code)
}

func build(t *testing.T) *shared {
	t.Helper()
	setupOnce.Do(func() {
		dir, err := os.MkdirTemp("", "neurodeskapp-it-")
		if err != nil {
			setupErr = err
			return
		}
		// Other users (the permission tests run the binary as nobody) must reach it.
		os.Chmod(dir, 0o755)
		s := &shared{bin: filepath.Join(dir, "neurodeskapp"), engine: os.Getenv("NEURODESK_TEST_ENGINE")}
		if v := os.Getenv("NEURODESK_TEST_RUN_AS"); v != "" {
			var uid, gid uint32
			if _, err := fmt.Sscanf(v, "%d:%d", &uid, &gid); err != nil {
				setupErr = fmt.Errorf("NEURODESK_TEST_RUN_AS=%q: want uid:gid", v)
				return
			}
			s.runAs = &syscall.Credential{Uid: uid, Gid: gid}
		}
		cmd := exec.Command("go", "build", "-o", s.bin, ".")
		cmd.Dir = testenv.ModuleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			setupErr = fmt.Errorf("build app: %v\n%s", err, out)
			return
		}
		if s.standin, err = testimage.BuildStandin(testenv.ModuleRoot(), dir); err != nil {
			setupErr = err
			return
		}
		if s.good, err = testimage.Build(s.standin, testimage.Options{PaddingSize: paddingSize}); err != nil {
			setupErr = err
			return
		}
		if s.failing, err = testimage.Build(s.standin, testimage.Options{Env: []string{"STANDIN_EXIT=3"}}); err != nil {
			setupErr = err
			return
		}
		if s.registry, err = testregistry.Start(); err != nil {
			setupErr = err
			return
		}
		setupVal = s
	})
	if setupErr != nil {
		t.Fatal(setupErr)
	}
	return setupVal
}

func (s *shared) probePrivileged(t *testing.T, docker *client.Client) {
	probeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s.privileged, probeErr = testenv.PrivilegedAllowed(ctx, docker, s.standin)
		t.Logf("engine allows privileged containers: %v", s.privileged)
	})
	if probeErr != nil {
		t.Fatalf("probe privileged containers: %v", probeErr)
	}
}

// world is one test's isolated app: its own config, cache and state folders,
// its own container and volume names, its own image tag.
type world struct {
	t        *testing.T
	s        *shared
	docker   *client.Client
	home     string
	data     string
	instance string
	repo     string // registry/repo without tag
	tag      string
	env      []string
	// guiWrap runs the dev GUI under a command (a mount namespace, say).
	guiWrap []string
}

func newWorld(t *testing.T) *world {
	docker := testenv.Docker(t)
	s := build(t)
	s.probePrivileged(t, docker)
	home := t.TempDir()
	// The permission tests run the app as nobody, who must reach this folder.
	os.Chmod(filepath.Dir(home), 0o755)
	os.Chmod(home, 0o755)
	w := &world{t: t, s: s, docker: docker, home: home,
		data:     filepath.Join(home, "Daten mit Leerzeichen", "Ñeuro ü"),
		instance: fmt.Sprintf("it%d", time.Now().UnixNano()%1e9),
		repo:     s.registryAddr() + "/vnmd/neurodesktop",
	}
	w.tag = "2026-07-" + w.instance
	s.registry.Put("vnmd/neurodesktop", w.tag, s.good)
	manifest := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(rw, "jupyter_neurodesk_version = %q\n[linux]\nbase = \"ignored\"\n", w.tag)
	}))
	t.Cleanup(manifest.Close)
	w.env = append(os.Environ(),
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"XDG_CACHE_HOME="+filepath.Join(home, "cache"),
		"XDG_STATE_HOME="+filepath.Join(home, "state"),
		"NEURODESKAPP_INSTANCE="+w.instance,
		"NEURODESK_MANIFEST_URL="+manifest.URL,
		"NEURODESK_RELEASES_URL=http://127.0.0.1:1/releases", // GitHub out of reach, as here
	)
	w.writeSettings(w.baseSettings())
	if s.runAs != nil {
		// The app's own folders belong to the user it runs as.
		filepath.Walk(home, func(p string, _ os.FileInfo, _ error) error { return os.Lchown(p, int(s.runAs.Uid), int(s.runAs.Gid)) })
	}
	// The cache must know the tag before the first start: a start never waits for the network.
	w.run("status")
	t.Cleanup(w.cleanup)
	return w
}

// baseSettings points the app at the test registry; everything else is the
// defaults (full privileges, streaming), as a new user has them.
func (w *world) baseSettings() string {
	return fmt.Sprintf("data_folder = %q\nimage_repository = %q\nmirror_repository = \"\"\ncheck_updates = false\n", w.data, w.repo)
}

// appLog is the app's log file as it is now.
func (w *world) appLog() string {
	b, _ := os.ReadFile(filepath.Join(w.home, "state", "neurodeskapp", "neurodeskapp.log"))
	return string(b)
}

func (w *world) container() string { return "neurodeskapp-" + w.instance }

func (w *world) settingsPath() string {
	return filepath.Join(w.home, "config", "neurodeskapp", "settings.toml")
}

func (w *world) writeSettings(content string) {
	w.t.Helper()
	if err := os.MkdirAll(filepath.Dir(w.settingsPath()), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(w.settingsPath(), []byte(content), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// cleanup removes what this test made: its containers (ours carry the
// instance in their name or our label), its volume and its images.
func (w *world) cleanup() {
	if w.t.Failed() {
		w.showLogs()
	}
	ctx := context.Background()
	list, _ := w.docker.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("name", w.container()))})
	for _, c := range list {
		w.docker.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
	}
	vols, _ := w.docker.VolumeList(ctx, volume.ListOptions{Filters: filters.NewArgs(filters.Arg("name", "neurodesk-home-"+w.instance))})
	for _, v := range vols.Volumes {
		w.docker.VolumeRemove(ctx, v.Name, true)
	}
	imgs, _ := w.docker.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", w.repo+":"+w.tag))})
	for _, i := range imgs {
		w.docker.ImageRemove(ctx, i.ID, image.RemoveOptions{Force: true, PruneChildren: true})
	}
}

// showLogs prints the end of the app's logs (the window's output and the
// app log), so a failure in CI says what the app saw.
func (w *world) showLogs() {
	filepath.Walk(w.home, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() || (fi.Name() != "gui.log" && !strings.HasSuffix(fi.Name(), "neurodeskapp.log")) {
			return nil
		}
		b, _ := os.ReadFile(p)
		if len(b) > 6000 {
			b = b[len(b)-6000:]
		}
		w.t.Logf("--- the end of %s:\n%s", p, b)
		return nil
	})
}

type result struct {
	code    int
	stdout  string
	stderr  string
	records []map[string]any
	took    time.Duration
}

func (w *world) run(args ...string) result {
	return w.runEnv(nil, args...)
}

func (w *world) runEnv(extra []string, args ...string) result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := w.command(ctx, extra, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatalf("run %v: %v", args, err)
	}
	r.records = parseRecords(w.t, r.stdout)
	return r
}

// command runs the app in this world, as the world's user.
func (w *world) command(ctx context.Context, extra []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, w.s.bin, args...)
	cmd.Env = append(append([]string{}, w.env...), extra...)
	if w.s.runAs != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: w.s.runAs}
	}
	return cmd
}

func parseRecords(t *testing.T, stdout string) []map[string]any {
	var recs []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("bad JSON line %q: %v", line, err)
		}
		recs = append(recs, m)
	}
	return recs
}

// notes are what a run said to the person besides its states.
func (r result) notes() string {
	var s []string
	for _, rec := range r.records {
		if rec["state"] == "note" {
			m, _ := rec["message"].(string)
			s = append(s, m)
		}
	}
	return strings.Join(s, "\n")
}

func (r result) last() map[string]any {
	if len(r.records) == 0 {
		return map[string]any{}
	}
	return r.records[len(r.records)-1]
}

// states are the session states a run went through (notes left out).
func (r result) states() []string {
	var s []string
	for _, rec := range r.records {
		st, _ := rec["state"].(string)
		if st == "note" {
			continue
		}
		if len(s) == 0 || s[len(s)-1] != st {
			s = append(s, st)
		}
	}
	return s
}

func errCode(rec map[string]any) string {
	e, _ := rec["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func (w *world) inspect() container.InspectResponse {
	w.t.Helper()
	c, err := w.docker.ContainerInspect(context.Background(), w.container())
	if err != nil {
		w.t.Fatalf("inspect %s: %v", w.container(), err)
	}
	return c
}
