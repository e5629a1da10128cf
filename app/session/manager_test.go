package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/settings"
	"github.com/neurodesk/neurodeskapp/internal/fakeengine"
)

// jupyter answers /api/status for token, and tells the fake's containers
// which port to claim.
func jupyter(t *testing.T, token string) (*httptest.Server, int) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "token "+token {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	port, _ := strconv.Atoi(u.Port())
	return srv, port
}

func manager(f *fakeengine.Engine, dir string) *Manager {
	return &Manager{Engine: f, HTTP: http.DefaultClient, Facts: platform.Facts{UID: 1000, GID: 1000, Owner: "1000", OwnerName: "ana"}, Names: NamesFor(""),
		LogDir: dir, ReadyTimeout: 5 * time.Second}
}

func opts(dir string, events *[]Event) StartOptions {
	s := settings.Defaults(dir + "/data")
	var mu sync.Mutex
	return StartOptions{Settings: s, Tag: "2026-07-11", OnEvent: func(e Event) { mu.Lock(); *events = append(*events, e); mu.Unlock() }}
}

func TestAdoptRunningContainer(t *testing.T) {
	f := fakeengine.New()
	_, port := jupyter(t, "tok")
	f.Containers["abc"] = ours("abc", true, port, "tok")
	var ev []Event
	info, err := manager(f, t.TempDir()).Start(context.Background(), opts(t.TempDir(), &ev))
	if err != nil || !info.Adopted || info.ContainerID != "abc" || info.Token != "tok" {
		t.Fatalf("adopt: %+v %v", info, err)
	}
	if f.Called("create") || f.Called("pull") || f.Called("stop") {
		t.Errorf("adopting touched the engine: %v", f.Calls)
	}
}

// ours is a container as the app makes it for the test manager's user.
func ours(id string, running bool, port int, token string) engine.Container {
	return engine.Container{ID: id, Name: ContainerName, Running: running,
		Labels: map[string]string{LabelManaged: "true", LabelVersion: "v", LabelOwner: "1000", LabelOwnerName: "ana"},
		Env:    []string{"JUPYTER_TOKEN=" + token}, Ports: map[int][]engine.PortBinding{8888: {{ContainerPort: 8888, HostIP: "127.0.0.1", HostPort: port}}}}
}

// TestNotOursIsLeftAlone: a container of ours from before the owner labels
// (perhaps this person's, perhaps not), one made by another program, and
// one published beyond this machine are neither adopted, shown, logged nor
// stopped. (Another person's is stepped around: TestSharedEngine.)
func TestNotOursIsLeftAlone(t *testing.T) {
	legacy := ours("x", true, 49000, "theirs")
	delete(legacy.Labels, LabelOwner)
	delete(legacy.Labels, LabelOwnerName)
	open := ours("x", true, 49000, "tok")
	open.Ports[8888][0].HostIP = "0.0.0.0"
	for name, tc := range map[string]struct {
		c    engine.Container
		code problem.Code
		says string
	}{
		"an older app's":       {legacy, problem.OtherUser, "older version"},
		"another program's":    {engine.Container{ID: "x", Name: ContainerName, Running: true, Image: "someone/else"}, problem.NameConflict, "did not create"},
		"published to the LAN": {open, problem.NameConflict, "every network address"},
	} {
		t.Run(name, func(t *testing.T) {
			f := fakeengine.New()
			f.Containers["x"] = tc.c
			m := manager(f, t.TempDir())
			var ev []Event
			_, err := m.Start(context.Background(), opts(t.TempDir(), &ev))
			if problem.CodeOf(err) != tc.code || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("start: %v", err)
			}
			if err := m.Stop(context.Background(), nil); problem.CodeOf(err) != tc.code {
				t.Errorf("stop: %v", err)
			}
			if _, found, err := m.Find(context.Background()); found || problem.CodeOf(err) != tc.code {
				t.Errorf("find: %v %v", found, err)
			}
			var log strings.Builder
			if err := m.Logs(context.Background(), "all", false, &log); problem.CodeOf(err) != tc.code || log.Len() > 0 {
				t.Errorf("logs: %v %q", err, log.String())
			}
			if len(f.Calls) != 0 {
				t.Errorf("the container was touched: %v", f.Calls)
			}
		})
	}
}

func TestStopKeepsTheLog(t *testing.T) {
	f := fakeengine.New()
	f.LogText = "a day's work\n"
	f.Containers["abc"] = ours("abc", true, 49000, "tok")
	dir := t.TempDir()
	if err := manager(f, dir).Stop(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "container-stopped-*.log"))
	if len(logs) != 1 {
		t.Fatalf("kept logs: %v", logs)
	}
	if b, _ := os.ReadFile(logs[0]); string(b) != "a day's work\n" {
		t.Errorf("kept %q", b)
	}
	if !slices.Equal(f.Calls, []string{"stop abc", "remove abc"}) {
		t.Errorf("calls %v", f.Calls)
	}
}

func TestOldLogsArePruned(t *testing.T) {
	dir := t.TempDir()
	for i := range keptLogs + 5 {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("container-failed-20260101T0000%02d.000Z.log", i)), nil, 0o600)
	}
	os.WriteFile(filepath.Join(dir, "app.log"), nil, 0o600)
	pruneLogs(dir, keptLogs)
	logs, _ := filepath.Glob(filepath.Join(dir, "container-*.log"))
	if len(logs) != keptLogs || filepath.Base(logs[0]) != "container-failed-20260101T000005.000Z.log" {
		t.Errorf("%d kept, first %s", len(logs), filepath.Base(logs[0]))
	}
	if _, err := os.Stat(filepath.Join(dir, "app.log")); err != nil {
		t.Error("another file was removed")
	}
}

func TestForeignContainerIsLeftAlone(t *testing.T) {
	f := fakeengine.New()
	f.Containers["x"] = engine.Container{ID: "x", Name: ContainerName, Running: true, Image: "someone/else"}
	m := manager(f, t.TempDir())
	var ev []Event
	_, err := m.Start(context.Background(), opts(t.TempDir(), &ev))
	if problem.CodeOf(err) != problem.NameConflict {
		t.Fatalf("start: %v", err)
	}
	if err := m.Stop(context.Background(), nil); problem.CodeOf(err) != problem.NameConflict {
		t.Fatalf("stop: %v", err)
	}
	if len(f.Calls) != 0 {
		t.Errorf("the foreign container was touched: %v", f.Calls)
	}
	if ev[len(ev)-1].State != StateFailed {
		t.Errorf("last event %v", ev[len(ev)-1].State)
	}
}

func TestStoppedContainerOfOursIsReplacedWithLogsKept(t *testing.T) {
	f := fakeengine.New()
	f.LogText = "old session said goodbye\n"
	f.Containers["old"] = ours("old", false, 49000, "tok")
	logDir := t.TempDir()
	m := manager(f, logDir)
	m.ReadyTimeout = 300 * time.Millisecond // nothing answers; we only look at what happened first
	var ev []Event
	m.Start(context.Background(), opts(t.TempDir(), &ev))
	if !f.Called("remove old") {
		t.Errorf("our stopped container was not removed: %v", f.Calls)
	}
	entries, _ := os.ReadDir(logDir)
	if len(entries) == 0 {
		t.Error("the stopped container's log was not kept")
	}
}

func TestMirrorFallback(t *testing.T) {
	f := fakeengine.New()
	primary, mirror := "docker.io/vnmd/neurodesktop:2026-07-11", "ghcr.io/neurodesk/neurodesktop:2026-07-11"
	f.PullErr[primary] = &problem.Error{Code: problem.RegistryUnreachable, Message: "rate limited"}
	var ev []Event
	img, err := manager(f, t.TempDir()).EnsureImage(context.Background(), opts(t.TempDir(), &ev))
	if err != nil || img.Ref != mirror {
		t.Fatalf("got %v %v, want the mirror", img, err)
	}
	f = fakeengine.New()
	f.PullErr[primary] = &problem.Error{Code: problem.ImageNotFound, Message: "no such tag"}
	if _, err := manager(f, t.TempDir()).EnsureImage(context.Background(), opts(t.TempDir(), &ev)); problem.CodeOf(err) != problem.ImageNotFound || f.Called("pull "+mirror) {
		t.Errorf("a missing tag must not fall back to the mirror: %v %v", err, f.Calls)
	}
	f = fakeengine.New()
	f.Images[mirror] = true
	if img, _ := manager(f, t.TempDir()).EnsureImage(context.Background(), opts(t.TempDir(), &ev)); img.Ref != mirror || f.Called("pull") {
		t.Errorf("a present mirror image was not used: %v %v", img, f.Calls)
	}
}

type sizes map[string]int64

func (s sizes) LayerSizes(context.Context, string, string) (map[string]int64, error) { return s, nil }

func TestDiskCheckRefusesBeforePulling(t *testing.T) {
	f := fakeengine.New()
	f.EngineInfo = engine.Info{Kind: engine.KindDockerEngine, Local: true, RootDir: "/var/lib/docker"}
	m := manager(f, t.TempDir())
	m.Sizes = sizes{"sha256:a": 4 << 30}
	m.FreeDisk = func(string) (uint64, error) { return 5 << 30, nil }
	var ev []Event
	_, err := m.EnsureImage(context.Background(), opts(t.TempDir(), &ev))
	if problem.CodeOf(err) != problem.DiskFull || f.Called("pull") {
		t.Fatalf("err %v, calls %v", err, f.Calls)
	}
	if !strings.Contains(err.Error(), "GB") {
		t.Errorf("message does not give sizes: %v", err)
	}
	m.FreeDisk = func(string) (uint64, error) { return 50 << 30, nil }
	if _, err := m.EnsureImage(context.Background(), opts(t.TempDir(), &ev)); err != nil {
		t.Errorf("enough space, still refused: %v", err)
	}
}

func TestContainerExitFailsAtOnceWithLog(t *testing.T) {
	f := fakeengine.New()
	f.Images["docker.io/vnmd/neurodesktop:2026-07-11"] = true
	token := strings.Repeat("c3", 32)
	// Images before 2026-09 print their login address as the last lines.
	f.LogText = "line 1\nfatal: cannot mount /cvmfs\n    http://127.0.0.1:8888/lab?token=" + token + "\n"
	f.ExitCode = 3
	close(f.Exits)
	m := manager(f, t.TempDir())
	m.ReadyTimeout = time.Minute
	var ev []Event
	start := time.Now()
	_, err := m.Start(context.Background(), opts(t.TempDir(), &ev))
	if problem.CodeOf(err) != problem.ContainerExited {
		t.Fatalf("err %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("the exit was not noticed at once")
	}
	tail, file := LogTail(err)
	if !slices.Contains(tail, "fatal: cannot mount /cvmfs") || file == "" {
		t.Errorf("tail %v file %q", tail, file)
	}
	kept, _ := os.ReadFile(file)
	if strings.Contains(strings.Join(tail, "\n"), token) || strings.Contains(string(kept), token) || !strings.Contains(string(kept), "token=REDACTED") {
		t.Errorf("the token is in the log shown (%q) or kept:\n%s", tail, kept)
	}
	last := ev[len(ev)-1]
	if last.State != StateFailed || len(last.LogTail) == 0 {
		t.Errorf("last event %+v", last)
	}
	if !f.Called("remove") {
		t.Error("the failed container was not removed")
	}
}

func TestCancelDuringWaitRemovesContainer(t *testing.T) {
	f := fakeengine.New()
	f.Images["docker.io/vnmd/neurodesktop:2026-07-11"] = true
	m := manager(f, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	var ev []Event
	o := opts(t.TempDir(), &ev)
	inner := o.OnEvent
	o.OnEvent = func(e Event) {
		inner(e)
		if e.State == StateWaiting {
			cancel()
		}
	}
	_, err := m.Start(ctx, o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if !f.Called("stop") || !f.Called("remove") {
		t.Errorf("cancelled start left its container: %v", f.Calls)
	}
}

func TestStartStatesInOrder(t *testing.T) {
	f := fakeengine.New()
	var port int
	var srv *httptest.Server
	// The fake gives the container the port it was asked for; point a
	// Jupyter at it once the spec is known.
	m := manager(f, t.TempDir())
	var ev []Event
	o := opts(t.TempDir(), &ev)
	inner := o.OnEvent
	o.OnEvent = func(e Event) {
		inner(e)
		if e.State == StateStarting && srv == nil {
			for _, c := range f.Containers {
				token, _ := tokenOf(c)
				port = c.HostPort(8888)
				srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Header.Get("Authorization") == "token "+token {
						w.Write([]byte("{}"))
					} else {
						w.WriteHeader(403)
					}
				}))
				l, err := netListen(port)
				if err != nil {
					t.Fatal(err)
				}
				srv.Listener = l
				srv.Start()
			}
		}
	}
	info, err := m.Start(context.Background(), o)
	if srv != nil {
		defer srv.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	var states []State
	for _, e := range ev {
		if len(states) == 0 || states[len(states)-1] != e.State {
			states = append(states, e.State)
		}
	}
	want := []State{StateChecking, StatePulling, StateCreating, StateStarting, StateWaiting, StateReady}
	if !slices.Equal(states, want) {
		t.Errorf("states %v, want %v", states, want)
	}
	if info.BaseURL != fmt.Sprintf("http://127.0.0.1:%d", port) || !strings.Contains(info.LabURL(), "/lab?token=") {
		t.Errorf("info %+v", info)
	}
	if !f.Called("runonce stat") || f.Called("runonce chown") {
		t.Errorf("home ownership: want a check and no chown when it matches: %v", f.Calls)
	}
}

func netListen(port int) (net.Listener, error) {
	return net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
}

// TestRefusedPrivilegesFallBackToMinimal: an engine that refuses
// --privileged gets the minimal set (streaming stays on) and the start says
// so; one that refuses that too gets a clear error offering offline mode.
func TestRefusedPrivilegesFallBackToMinimal(t *testing.T) {
	f := fakeengine.New()
	f.Images["docker.io/vnmd/neurodesktop:2026-07-11"] = true
	f.Refuse = func(s engine.ContainerSpec) error {
		if s.Privileged {
			return errors.New("OCI runtime create failed: unable to apply caps: operation not permitted")
		}
		return nil
	}
	m := manager(f, t.TempDir())
	m.ReadyTimeout = 300 * time.Millisecond // nothing answers; we look at what was made
	var ev []Event
	m.Start(context.Background(), opts(t.TempDir(), &ev))
	if len(f.Specs) != 2 {
		t.Fatalf("containers made: %d, want the refused one and the minimal one", len(f.Specs))
	}
	var minimal engine.ContainerSpec
	for _, s := range f.Specs {
		if !s.Privileged {
			minimal = s
		}
	}
	if !slices.Equal(minimal.CapAdd, []string{"SYS_ADMIN"}) || !slices.Contains(minimal.Env, "CVMFS_DISABLE=false") || minimal.Labels[LabelPrivileges] != "minimal" {
		t.Errorf("fallback container: caps %v env %v", minimal.CapAdd, minimal.Env)
	}
	if !slices.ContainsFunc(ev, func(e Event) bool { return e.Message == FallbackNote }) {
		t.Error("the start did not say it fell back")
	}

	f = fakeengine.New()
	f.Images["docker.io/vnmd/neurodesktop:2026-07-11"] = true
	f.Refuse = func(engine.ContainerSpec) error { return errors.New("unable to apply caps: operation not permitted") }
	_, err := manager(f, t.TempDir()).Start(context.Background(), opts(t.TempDir(), &ev))
	if problem.CodeOf(err) != problem.PrivilegedRefused || !strings.Contains(problem.RemedyOf(err), "offline") {
		t.Errorf("both refused: %v (%s)", err, problem.RemedyOf(err))
	}
}

// TestRefusalIsRemembered: after one refusal, starts on the same engine go
// straight to the minimal privileges; another engine is asked afresh.
func TestRefusalIsRemembered(t *testing.T) {
	dir := t.TempDir()
	mem := NewMemoryFile(filepath.Join(dir, "engines.json"))
	refusing := func(s engine.ContainerSpec) error {
		if s.Privileged {
			return errors.New("unable to apply caps: operation not permitted")
		}
		return nil
	}
	start := func(id string) *fakeengine.Engine {
		f := fakeengine.New()
		f.EngineInfo.ID, f.EngineInfo.ServerVersion = id, "28.2"
		f.Images["docker.io/vnmd/neurodesktop:2026-07-11"] = true
		f.Refuse = refusing
		m := manager(f, dir)
		m.Memory = mem
		m.ReadyTimeout = 200 * time.Millisecond
		var ev []Event
		m.Start(context.Background(), opts(t.TempDir(), &ev))
		return f
	}
	if f := start("engine-a"); len(f.Specs) != 2 {
		t.Fatalf("first start made %d containers, want a refused one and a minimal one", len(f.Specs))
	}
	f := start("engine-a")
	if len(f.Specs) != 1 {
		t.Fatalf("second start made %d containers, want only the minimal one", len(f.Specs))
	}
	for _, s := range f.Specs {
		if s.Privileged {
			t.Error("the remembered refusal was ignored")
		}
	}
	if f := start("engine-b"); len(f.Specs) != 2 {
		t.Errorf("another engine was not asked for full privileges first (%d containers)", len(f.Specs))
	}
}

// TestHomeOwnerCheckedOnce: the helper container that checks the home
// volume's owner runs once per volume and owner, not at every start, even
// though Docker's CreatedAt for a local volume follows its folder's changes
// (a file made in the home changes it); a volume made anew is checked again.
func TestHomeOwnerCheckedOnce(t *testing.T) {
	dir := t.TempDir()
	mem := NewMemoryFile(filepath.Join(dir, "engines.json"))
	f := fakeengine.New()
	f.EngineInfo.ID = "engine-a"
	start := func() (checked bool) {
		t.Helper()
		f.Calls = nil
		m := manager(f, dir)
		m.Memory = mem
		if _, err := m.prepareHome(context.Background(), "img"); err != nil {
			t.Fatal(err)
		}
		return f.Called("runonce stat")
	}
	if !start() {
		t.Fatal("a new home volume was not checked")
	}
	v := f.Volumes["neurodesk-home"]
	v.CreatedAt = "2026-11-02T08:00:00Z" // Docker: the person made a file in ~
	f.Volumes["neurodesk-home"] = v
	if start() {
		t.Error("the home was checked again after a file was made in it")
	}
	delete(f.Volumes, "neurodesk-home") // removed, and made anew at the next start
	if !start() {
		t.Error("a home volume made anew was not checked")
	}
	m := manager(f, dir)
	m.Memory = mem
	m.Facts.UID = 1001 // another owner wanted: check again
	f.Calls = nil
	m.prepareHome(context.Background(), "img")
	if !f.Called("runonce stat") {
		t.Error("a new owner was not checked")
	}
}

// TestUnreadableMemoryIsKeptAside: a damaged engines.json means asking the
// engine again, and the damaged file is kept, not overwritten.
func TestUnreadableMemoryIsKeptAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "engines.json")
	os.WriteFile(path, []byte("{not json"), 0o600)
	mem := NewMemoryFile(path)
	if mem.Remembers("k") {
		t.Error("a damaged file answered")
	}
	mem.Remember("k")
	if !mem.Remembers("k") {
		t.Error("not remembered after the damaged file")
	}
	kept, _ := filepath.Glob(path + ".corrupt-*")
	if len(kept) != 1 {
		t.Fatalf("set aside: %v", kept)
	}
	if b, _ := os.ReadFile(kept[0]); string(b) != "{not json" {
		t.Errorf("kept %q", b)
	}
}

// fakeTunnel forwards a remote container's port to a Jupyter on this
// machine that knows that container's token.
type fakeTunnel struct {
	t         *testing.T
	f         *fakeengine.Engine
	forwarded []int
	closed    bool
}

func (ft *fakeTunnel) Forward(_ context.Context, remotePort int, _ string) (int, error) {
	ft.forwarded = append(ft.forwarded, remotePort)
	ft.f.Mu.Lock()
	defer ft.f.Mu.Unlock()
	for _, c := range ft.f.Containers {
		if c.HostPort(JupyterPort) == remotePort {
			token, _ := tokenOf(c)
			_, local := jupyter(ft.t, token)
			return local, nil
		}
	}
	return 0, fmt.Errorf("nothing listens on the remote port %d", remotePort)
}

func (ft *fakeTunnel) Close(context.Context) error { ft.closed = true; return nil }

// TestRemoteEngineThroughTunnel: over SSH the engine picks the port on its
// own host, JupyterLab is reached through the forward, the data folder is
// not made on this machine, and stop closes the connection.
func TestRemoteEngineThroughTunnel(t *testing.T) {
	f := fakeengine.New()
	f.EngineInfo.Remote = true
	dir := t.TempDir()
	m := manager(f, dir)
	tun := &fakeTunnel{t: t, f: f}
	m.Tunnel = tun
	var ev []Event
	o := opts(dir, &ev)
	info, err := m.Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	var spec engine.ContainerSpec
	for _, sp := range f.Specs {
		spec = sp
	}
	if len(spec.Publish) != 1 || spec.Publish[0].HostPort != 0 || spec.Publish[0].HostIP != "127.0.0.1" {
		t.Errorf("publish %+v: want the remote host's loopback, port of its choosing", spec.Publish)
	}
	if len(tun.forwarded) != 1 || tun.forwarded[0] < 40000 {
		t.Fatalf("forwarded %v, want the port the engine picked", tun.forwarded)
	}
	if strings.HasSuffix(info.BaseURL, ":"+strconv.Itoa(tun.forwarded[0])) {
		t.Errorf("URL %s is the remote port, not the forwarded one", info.BaseURL)
	}
	if _, err := os.Stat(o.Settings.DataFolder); err == nil {
		t.Error("the remote host's data folder was made on this machine")
	}
	again, err := m.Start(context.Background(), o)
	if err != nil || !again.Adopted || len(tun.forwarded) != 2 || tun.forwarded[1] != tun.forwarded[0] {
		t.Errorf("adopt: %+v %v, forwards %v", again, err, tun.forwarded)
	}
	if err := m.Stop(context.Background(), nil); err != nil || !tun.closed {
		t.Errorf("stop: %v, connection closed: %v", err, tun.closed)
	}
}

// TestRemoteEngineWithoutSSH says plainly what it cannot do, and touches nothing.
func TestRemoteEngineWithoutSSH(t *testing.T) {
	f := fakeengine.New()
	f.EngineInfo.Remote = true
	var ev []Event
	_, err := manager(f, t.TempDir()).Start(context.Background(), opts(t.TempDir(), &ev))
	var pe *problem.Error
	if !errors.As(err, &pe) || pe.Code != problem.EngineRemoteNoSSH || !strings.Contains(pe.Remedy, "ssh://") {
		t.Fatalf("start: %v", err)
	}
	if len(f.Calls) != 0 {
		t.Errorf("the engine was used: %v", f.Calls)
	}
}

// TestSharedEngine: two people on one engine (a shared workstation's
// rootful daemon) each get a session and a home volume of their own; the
// first keeps the contract's names; neither's container is adopted,
// stopped or logged by the other, and neither's home is handed over.
func TestSharedEngine(t *testing.T) {
	f := fakeengine.New()
	f.OnStart = func(c engine.Container) { fakeengine.ServeJupyter(t, c) }
	ana := manager(f, t.TempDir())
	bob := manager(f, t.TempDir())
	bob.Facts = platform.Facts{OS: "linux", UID: 1001, GID: 1001, Owner: "1001", OwnerName: "bob"}
	var ev []Event
	a, err := ana.Start(context.Background(), opts(t.TempDir(), &ev))
	if err != nil {
		t.Fatal(err)
	}
	b, err := bob.Start(context.Background(), opts(t.TempDir(), &ev))
	if err != nil {
		t.Fatalf("the second person could not start: %v", err)
	}
	mounts := func(id string) (string, string) {
		s := f.Specs[id]
		for _, m := range s.Mounts {
			if m.Target == HomeTarget {
				return s.Name, m.Source
			}
		}
		return s.Name, ""
	}
	if name, home := mounts(a.ContainerID); name != "neurodeskapp" || home != "neurodesk-home" {
		t.Errorf("the first person got %s with %s, want the contract's names", name, home)
	}
	if name, home := mounts(b.ContainerID); name != "neurodeskapp-bob" || home != "neurodesk-home-bob" {
		t.Errorf("the second person got %s with %s, want names of their own", name, home)
	}
	if f.HomeOwner["neurodesk-home"] != "" {
		t.Errorf("ana's home was given to %s", f.HomeOwner["neurodesk-home"])
	}
	if got, found, err := bob.Find(context.Background()); !found || err != nil || got.ContainerID != b.ContainerID {
		t.Errorf("bob finds %+v %v %v, want his own session", got, found, err)
	}
	if err := bob.Stop(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if got, found, _ := ana.Find(context.Background()); !found || got.ContainerID != a.ContainerID {
		t.Error("bob's stop took ana's session")
	}
	// Ana's session gone, bob starts again: his home stays his own.
	if err := ana.Stop(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	b, err = bob.Start(context.Background(), opts(t.TempDir(), &ev))
	if err != nil {
		t.Fatal(err)
	}
	if _, home := mounts(b.ContainerID); home != "neurodesk-home-bob" {
		t.Errorf("bob's second session mounts %s", home)
	}
}

// TestLegacyHomeOfAnotherPerson: a home volume from before the owner labels
// whose files belong to another account of this computer stays theirs;
// one whose files belong to nobody here (1.x's default user) is taken.
func TestLegacyHomeOfAnotherPerson(t *testing.T) {
	for _, tc := range []struct {
		owner, want string
	}{{"1001:1001", "neurodesk-home-ana"}, {"1000:1000", "neurodesk-home"}, {"1500:1500", "neurodesk-home"}} {
		f := fakeengine.New()
		f.Volumes["neurodesk-home"] = engine.Volume{CreatedAt: "2025-01-01T00:00:00Z", Labels: map[string]string{}}
		f.HomeOwner["neurodesk-home"] = tc.owner
		m := manager(f, t.TempDir())
		m.Facts.OS = "linux"
		m.IsPerson = func(uid int) bool { return uid == 1001 }
		got, err := m.prepareHome(context.Background(), "img")
		if err != nil || got != tc.want {
			t.Errorf("home owned by %s: %q %v, want %s", tc.owner, got, err, tc.want)
		}
		if tc.want != "neurodesk-home" && f.HomeOwner["neurodesk-home"] != tc.owner {
			t.Errorf("the other person's home was given to %s", f.HomeOwner["neurodesk-home"])
		}
	}
}

// A start's log reaches the launcher line by line as it grows, each line
// once, including a line written in two pieces.
func TestFollowStartLogSendsEachLineOnce(t *testing.T) {
	f := fakeengine.New()
	f.Containers["abc"] = ours("abc", true, 49000, "tok")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- manager(f, t.TempDir()).FollowStartLog(ctx, LineWriter(func(l string) { got <- l }))
	}()
	next := func() string {
		select {
		case l := <-got:
			return l
		case <-time.After(5 * time.Second):
			t.Fatal("no line within 5 s")
			return ""
		}
	}
	for _, step := range []struct{ log, want string }{
		{"one\ntw", "one"},
		{"one\ntwo\nthree\n", "two"},
	} {
		f.Mu.Lock()
		f.LogText = step.log
		f.Mu.Unlock()
		if l := next(); l != step.want {
			t.Fatalf("got %q, want %q", l, step.want)
		}
	}
	if l := next(); l != "three" {
		t.Fatalf("got %q, want three", l)
	}
	time.Sleep(600 * time.Millisecond) // two more reads of the same log
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("after cancel: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("a line came twice: %q", <-got)
	}
}
