package integration

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"
)

// TestAdoptAfterKill: the app dies (SIGKILL) while the session is ready; the
// next status and start find the same container, untouched.
func TestAdoptAfterKill(t *testing.T) {
	w := newWorld(t)
	cmd := w.command(context.Background(), nil, "start", "--json", "--no-open")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 1<<20)
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(string(buf), `"state":"ready"`) {
		if time.Now().After(deadline) {
			t.Fatalf("no ready state: %s", buf)
		}
		chunk := make([]byte, 64<<10)
		n, err := stdout.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if err != nil {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGKILL) //nolint:errcheck // it may have exited by itself already
	cmd.Wait()                          //nolint:errcheck
	before := w.inspect()

	r := w.run("status", "--json")
	if r.code != 0 || r.last()["running"] != true {
		t.Fatalf("status after kill: exit %d %s", r.code, r.stdout)
	}
	r = w.run("start", "--json", "--no-open")
	if r.code != 0 || r.last()["adopted"] != true {
		t.Fatalf("start after kill did not adopt: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if slices.Contains(r.states(), "creating") {
		t.Error("adopting start created a container")
	}
	after := w.inspect()
	if after.ID != before.ID || after.State.StartedAt != before.State.StartedAt {
		t.Errorf("container restarted: %s@%s -> %s@%s", before.ID[:12], before.State.StartedAt, after.ID[:12], after.State.StartedAt)
	}
	url, _ := r.last()["url"].(string)
	if !slices.ContainsFunc(before.Config.Env, func(e string) bool {
		return strings.HasPrefix(e, "JUPYTER_TOKEN=") && strings.HasSuffix(url, "token="+e[len("JUPYTER_TOKEN="):])
	}) {
		t.Errorf("adopted URL %q does not carry the running session's token", url)
	}
	if r := w.run("stop"); r.code != 0 {
		t.Fatalf("stop: %s", r.stderr)
	}
}

// TestPullSurvivesDroppedConnection: the registry cuts a layer halfway, and
// separately answers 503 for a while; both pulls complete, the second
// through our own retry with backoff.
func TestPullSurvivesDroppedConnection(t *testing.T) {
	w := newWorld(t)
	padding := w.s.good.Layers[1].Digest
	w.s.registry.DropBlob(padding, 1)
	before := w.s.registry.Requests("GET /v2/vnmd/neurodesktop/blobs/" + padding)
	r := w.run("pull", "--json")
	if r.code != 0 {
		t.Fatalf("pull with a dropped layer exited %d: %s %s", r.code, r.stdout, r.stderr)
	}
	if got := w.s.registry.Requests("GET /v2/vnmd/neurodesktop/blobs/"+padding) - before; got < 2 {
		t.Errorf("the dropped layer was fetched %d times; a retry should fetch it again", got)
	}
	w.cleanup()

	w.s.registry.FailManifestsFor(1500 * time.Millisecond)
	r = w.run("pull", "--json")
	if r.code != 0 {
		t.Fatalf("pull with failing manifests exited %d: %s %s", r.code, r.stdout, r.stderr)
	}
	var retried bool
	for _, rec := range r.records {
		if p, ok := rec["pull"].(map[string]any); ok && p["retries"].(float64) > 0 {
			retried = true
		}
	}
	if !retried {
		t.Errorf("no progress event reported the retry; manifest requests: %d\n%s", w.s.registry.Requests("/manifests/"), r.stdout)
	}
}

// TestEngineUnreachable: a refused port and a black hole both fail fast,
// with the engine_not_running code and a remedy.
func TestEngineUnreachable(t *testing.T) {
	w := newWorld(t)
	hole, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer hole.Close()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().String()
	closed.Close()
	for name, host := range map[string]string{"black hole": "tcp://" + hole.Addr().String(), "refused": "tcp://" + closedAddr} {
		t.Run(name, func(t *testing.T) {
			r := w.runEnv([]string{"DOCKER_HOST=" + host}, "start", "--json", "--no-open")
			if r.code != 4 || errCode(r.last()) != "engine_not_running" {
				t.Fatalf("exit %d, last %v", r.code, r.last())
			}
			if r.took > 2*time.Second+500*time.Millisecond { // the process itself starts in well under 0.5s
				t.Errorf("took %s to report a dead engine, want under 2s", r.took)
			}
			if e, _ := r.last()["error"].(map[string]any); e["remedy"] == "" {
				t.Error("no remedy")
			}
		})
	}
}

// asNobody runs the binary as an unprivileged user, so permission checks
// bite even when the tests run as root.
func (w *world) asNobody(extra []string, args ...string) result {
	if os.Getuid() != 0 {
		return w.runEnv(extra, args...)
	}
	w.t.Helper()
	cmd := exec.Command(w.s.bin, args...)
	cmd.Env = append(append([]string{}, w.env...), extra...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.Output()
	r := result{stdout: string(out)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code, r.stderr = ee.ExitCode(), string(ee.Stderr)
	} else if err != nil {
		w.t.Fatal(err)
	}
	r.records = parseRecords(w.t, r.stdout)
	return r
}

// TestSocketPermissionDenied: the socket exists but is not ours to open.
func TestSocketPermissionDenied(t *testing.T) {
	w := newWorld(t)
	dir := filepath.Join(w.home, "run")
	os.MkdirAll(dir, 0o755)
	sock := filepath.Join(dir, "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// nobody must reach everything of this test but the socket itself.
	filepath.Walk(w.home, func(p string, _ os.FileInfo, _ error) error { return os.Chmod(p, 0o777) })
	os.Chmod(sock, 0o600)
	if os.Getuid() != 0 {
		os.Chmod(sock, 0)
	}
	r := w.asNobody([]string{"DOCKER_HOST=unix://" + sock}, "status", "--json")
	if r.code != 4 || errCode(r.last()) != "engine_permission_denied" {
		t.Fatalf("exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	e := r.last()["error"].(map[string]any)
	if !strings.Contains(e["message"].(string), sock) || !strings.Contains(e["remedy"].(string), "docker group") {
		t.Errorf("message/remedy do not name the socket and the fix: %v", e)
	}
}

// TestForeignContainerUntouched: a container we did not create holds our
// name, or one carrying our labels that may not be ours (no owner, from
// before the owner labels) or is published beyond this machine; start,
// stop, status and logs refuse, and it keeps running. (Another person's is
// stepped around: TestSharedEngineTwoPeople.)
func TestForeignContainerUntouched(t *testing.T) {
	w := newWorld(t)
	if r := w.run("pull"); r.code != 0 {
		t.Fatalf("pull: %s", r.stderr)
	}
	ctx := context.Background()
	mine := func(l map[string]string) map[string]string {
		l["org.neurodesk.app.managed"] = "true"
		return l
	}
	cases := []struct {
		name   string
		labels map[string]string
		bindIP string
		code   string
	}{
		{"another program's", nil, "127.0.0.1", "name_conflict"},
		{"our labels, no owner", mine(map[string]string{}), "127.0.0.1", "other_users_container"},
		{"our labels and owner, published to the network", mine(map[string]string{"org.neurodesk.app.owner-uid": strconv.Itoa(w.s.hostUser())}), "0.0.0.0", "name_conflict"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := w.docker.ContainerCreate(ctx, &container.Config{Image: w.repo + ":" + w.tag, Cmd: []string{"start.sh"}, Labels: tc.labels,
				Env: []string{"JUPYTER_TOKEN=theirs"}, ExposedPorts: nat.PortSet{"8888/tcp": {}}},
				&container.HostConfig{PortBindings: nat.PortMap{"8888/tcp": {{HostIP: tc.bindIP, HostPort: "0"}}}}, nil, nil, w.container())
			if err != nil {
				t.Fatal(err)
			}
			defer w.docker.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}) //nolint:errcheck
			if err := w.docker.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"start", "--json", "--no-open"}, {"stop", "--json"}, {"status", "--json"}} {
				r := w.run(args...)
				if r.code != 5 || errCode(r.last()) != tc.code || strings.Contains(r.stdout, "theirs") {
					t.Errorf("%v: exit %d, %s", args, r.code, r.stdout)
				}
			}
			if r := w.run("logs"); r.code != 5 || r.stdout != "" {
				t.Errorf("logs: exit %d, printed %q", r.code, r.stdout)
			}
			after, err := w.docker.ContainerInspect(ctx, c.ID)
			if err != nil || !after.State.Running || after.State.StartedAt == "" {
				t.Fatalf("the container was disturbed: %v %+v", err, after.State)
			}
		})
	}
}

// TestDataFolderNotWritable: a clear, field-specific error before any
// engine work.
func TestDataFolderNotWritable(t *testing.T) {
	w := newWorld(t)
	ro := filepath.Join(w.home, "read only")
	os.MkdirAll(ro, 0o555)
	os.Chmod(ro, 0o555)
	filepath.Walk(filepath.Join(w.home, "config"), func(p string, _ os.FileInfo, _ error) error { return os.Chmod(p, 0o777) })
	r := w.asNobody(nil, "start", "--json", "--no-open", "--data", ro)
	if r.code != 6 || errCode(r.last()) != "invalid_settings" {
		t.Fatalf("exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	msg := r.last()["error"].(map[string]any)["message"].(string)
	if !strings.Contains(msg, "data_folder") || !strings.Contains(msg, "not writable") {
		t.Errorf("message %q does not say the data folder is not writable", msg)
	}
}

// TestCorruptSettingsKeptAside: the app runs on defaults, says so, and the
// user's file is kept, byte for byte.
func TestCorruptSettingsKeptAside(t *testing.T) {
	w := newWorld(t)
	garbage := "data_folder = \"unterminated\nmemory_gb = [[[\n"
	w.writeSettings(garbage)
	r := w.run("status", "--json")
	if !strings.Contains(r.stderr, "using default settings") {
		t.Errorf("no warning on stderr: %q", r.stderr)
	}
	matches, _ := filepath.Glob(w.settingsPath() + ".corrupt-*")
	if len(matches) != 1 {
		t.Fatalf("backups: %v", matches)
	}
	if b, _ := os.ReadFile(matches[0]); string(b) != garbage {
		t.Errorf("backup content %q", b)
	}
	if r.code != 0 && r.code != 3 {
		t.Errorf("status failed on a corrupt settings file: exit %d %s", r.code, r.stderr)
	}
}

// TestManifestFallback: an unreachable manifest URL with the registry
// answering still knows the current version (the registry has it); with
// every source out of reach the cached version stays in use; without a
// cache the embedded one is used.
func TestManifestFallback(t *testing.T) {
	w := newWorld(t) // its status run cached the test tag
	dead := "NEURODESK_MANIFEST_URL=http://127.0.0.1:1/neurodesktop.toml"
	r := w.runEnv([]string{dead}, "status", "--json")
	img := r.last()["image"].(map[string]any)
	if img["tag"] != w.tag {
		t.Errorf("with a dead manifest and the registry answering: %v", img)
	}
	// The registry out of reach too (GitHub's releases are, in every test).
	w.writeSettings(fmt.Sprintf("data_folder = %q\nimage_repository = \"127.0.0.1:1/vnmd/neurodesktop\"\nmirror_repository = \"\"\ncheck_updates = false\n", w.data))
	r = w.runEnv([]string{dead}, "status", "--json")
	img = r.last()["image"].(map[string]any)
	if img["tag"] != w.tag || img["origin"] != "cache" || img["refresh_error"] == "" {
		t.Errorf("with every source dead and a cache: %v", img)
	}
	os.RemoveAll(filepath.Join(w.home, "cache"))
	r = w.runEnv([]string{dead}, "status", "--json")
	img = r.last()["image"].(map[string]any)
	if img["origin"] != "embedded" || img["tag"] == "" {
		t.Errorf("with every source dead and no cache: %v", img)
	}
}

// TestContainerExitsDuringStartup: the start fails at once with the
// container's last log lines, which are also kept in a file.
func TestContainerExitsDuringStartup(t *testing.T) {
	w := newWorld(t)
	w.s.registry.Put("vnmd/neurodesktop", w.tag, w.s.failing)
	r := w.run("start", "--json", "--no-open")
	if r.code != 7 || errCode(r.last()) != "container_exited" {
		t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	tail := fmt.Sprint(r.last()["log_tail"])
	if !strings.Contains(tail, "simulated failure") {
		t.Errorf("log tail %q lacks the container's last words", tail)
	}
	file, _ := r.last()["log_file"].(string)
	if b, err := os.ReadFile(file); err != nil || !strings.Contains(string(b), "simulated failure") {
		t.Errorf("kept log %q: %v %q", file, err, b)
	}
	if _, err := w.docker.ContainerInspect(context.Background(), w.container()); err == nil {
		t.Error("the failed container was left behind")
	}
	// The app log holds it, with the same code and message as the output.
	e := r.last()["error"].(map[string]any)
	appLog, _ := os.ReadFile(filepath.Join(w.home, "state", "neurodeskapp", "neurodeskapp.log"))
	if !strings.Contains(string(appLog), `msg="start failed" code=container_exited`) || !strings.Contains(string(appLog), fmt.Sprint(e["message"])) {
		t.Errorf("the app log lacks the failure %v:\n%s", e, appLog)
	}
	w.s.registry.Put("vnmd/neurodesktop", w.tag, w.s.good)
}

// TestDefaultsStartOnThisEngine: with default settings (full privileges,
// streaming on) a start succeeds whatever the engine allows: where it
// refuses privileged containers (this project's machines) the session
// gets the minimal set CVMFS needs, streaming stays on, and the start says so.
func TestDefaultsStartOnThisEngine(t *testing.T) {
	w := newWorld(t)
	w.writeSettings(fmt.Sprintf("data_folder = %q\nimage_repository = %q\nmirror_repository = \"\"\n", w.data, w.repo))
	r := w.run("start", "--json", "--no-open")
	if r.code != 0 {
		t.Fatalf("start with default settings: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	c := w.inspect()
	if !slices.Contains(c.Config.Env, "CVMFS_DISABLE=false") {
		t.Errorf("streaming is off: %v", c.Config.Env)
	}
	if w.s.privileged {
		if !c.HostConfig.Privileged {
			t.Error("an engine that allows privileged containers did not get one")
		}
	} else {
		if c.HostConfig.Privileged || !hasSysAdmin(c.HostConfig.CapAdd) || c.Config.Labels["org.neurodesk.app.privileges"] != "minimal" {
			t.Errorf("privileged %v caps %v labels %v", c.HostConfig.Privileged, c.HostConfig.CapAdd, c.Config.Labels)
		}
		if !strings.Contains(r.stdout, "minimal privileges") {
			t.Errorf("the start did not say it fell back:\n%s", r.stdout)
		}
	}
	if r := w.run("stop"); r.code != 0 {
		t.Fatalf("stop: %s", r.stderr)
	}
}
