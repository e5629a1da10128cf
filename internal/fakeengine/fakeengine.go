// Package fakeengine is an in-memory container engine for unit tests of
// what decides (session, ui): it records the calls made of it and lets a
// test script images, containers and failures. The integration tests use
// the real daemon.
package fakeengine

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
)

// Engine is the fake. Lock Mu to read or change its maps while a test
// runs goroutines that call it.
type Engine struct {
	Mu         sync.Mutex
	EngineInfo engine.Info
	Images     map[string]bool
	PullErr    map[string]error
	Containers map[string]engine.Container
	Calls      []string
	LogText    string
	StartErr   error
	Refuse     func(engine.ContainerSpec) error // a start the engine refuses
	Specs      map[string]engine.ContainerSpec
	ExitCode   int
	Exits      chan struct{} // closed when the started container "exits"
	Closed     bool
	// OnStart runs when a container starts, e.g. to serve its Jupyter.
	OnStart func(engine.Container)
	Volumes map[string]engine.Volume
	// HomeOwner is uid:gid of each volume's /home/jovyan, as the owner
	// check sees it.
	HomeOwner map[string]string
	// PingErr is what Ping answers: an engine that went away.
	PingErr error
	// ExecFunc answers Exec; nil runs nothing (exit 127).
	ExecFunc func(id string, cmd []string) (int, []byte)
}

// New is an empty Docker Engine.
func New() *Engine {
	return &Engine{EngineInfo: engine.Info{Kind: engine.KindDockerEngine}, Images: map[string]bool{}, PullErr: map[string]error{},
		Containers: map[string]engine.Container{}, Specs: map[string]engine.ContainerSpec{}, Exits: make(chan struct{}),
		Volumes: map[string]engine.Volume{}, HomeOwner: map[string]string{}}
}

// Call records a call.
func (f *Engine) Call(s string) { f.Mu.Lock(); f.Calls = append(f.Calls, s); f.Mu.Unlock() }

// Called reports whether a call starting with prefix was made.
func (f *Engine) Called(prefix string) bool {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return slices.ContainsFunc(f.Calls, func(c string) bool { return strings.HasPrefix(c, prefix) })
}

func (f *Engine) Info() engine.Info { return f.EngineInfo }
func (f *Engine) Endpoint() engine.Endpoint {
	return engine.Endpoint{Host: "unix:///fake.sock", Source: "test"}
}
func (f *Engine) Close() error { f.Mu.Lock(); f.Closed = true; f.Mu.Unlock(); return nil }

// Ping answers PingErr.
func (f *Engine) Ping(context.Context) error { f.Mu.Lock(); defer f.Mu.Unlock(); return f.PingErr }

func (f *Engine) ImagePresent(_ context.Context, ref string) (bool, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return f.Images[ref], nil
}

func (f *Engine) Pull(_ context.Context, ref string, o engine.PullOptions) error {
	f.Call("pull " + ref)
	if err := f.PullErr[ref]; err != nil {
		return err
	}
	if o.OnProgress != nil {
		o.OnProgress(engine.PullProgress{Ref: ref, LayersTotal: 1, LayersDone: 1})
	}
	f.Mu.Lock()
	f.Images[ref] = true
	f.Mu.Unlock()
	return nil
}

func (f *Engine) InspectContainer(_ context.Context, name string) (engine.Container, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	for _, c := range f.Containers {
		if c.Name == name || c.ID == name {
			return c, nil
		}
	}
	return engine.Container{}, engine.ErrNotFound
}

// CreateContainer keeps the spec; a port published as 0 gets one the
// "engine" picks.
func (f *Engine) CreateContainer(_ context.Context, s engine.ContainerSpec) (string, error) {
	f.Call("create " + s.Name)
	f.Mu.Lock()
	defer f.Mu.Unlock()
	id := fmt.Sprintf("id%d", len(f.Calls))
	f.Specs[id] = s
	publish := slices.Clone(s.Publish)
	for i := range publish {
		if publish[i].HostPort == 0 {
			publish[i].HostPort = 40000 + len(f.Calls)
		}
	}
	f.Containers[id] = engine.Container{ID: id, Name: s.Name, Image: s.Image, Labels: s.Labels, Cmd: s.Cmd, Env: s.Env,
		Ports: map[int][]engine.PortBinding{8888: publish}}
	return id, nil
}

func (f *Engine) StartContainer(_ context.Context, id string) error {
	f.Call("start " + id)
	if f.StartErr != nil {
		return f.StartErr
	}
	f.Mu.Lock()
	refuse, spec := f.Refuse, f.Specs[id]
	f.Mu.Unlock()
	if refuse != nil {
		if err := refuse(spec); err != nil {
			return err
		}
	}
	f.Mu.Lock()
	c := f.Containers[id]
	c.Running = true
	f.Containers[id] = c
	onStart := f.OnStart
	f.Mu.Unlock()
	if onStart != nil {
		onStart(c)
	}
	return nil
}

func (f *Engine) StopContainer(_ context.Context, id string, _ time.Duration) error {
	f.Call("stop " + id)
	return nil
}

func (f *Engine) RemoveContainer(_ context.Context, id string) error {
	f.Call("remove " + id)
	f.Mu.Lock()
	delete(f.Containers, id)
	f.Mu.Unlock()
	return nil
}

func (f *Engine) WaitExit(ctx context.Context, _ string) (int, error) {
	select {
	case <-f.Exits:
		return f.ExitCode, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (f *Engine) Logs(_ context.Context, _, _ string, _ bool, w io.Writer) error {
	f.Mu.Lock()
	text := f.LogText
	f.Mu.Unlock()
	_, err := io.WriteString(w, text)
	return err
}

// EnsureVolume makes a volume once, with the labels it is first given.
func (f *Engine) EnsureVolume(_ context.Context, name string, labels map[string]string) (engine.Volume, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if v, ok := f.Volumes[name]; ok {
		return v, nil
	}
	f.Calls = append(f.Calls, "volume "+name)
	v := engine.Volume{CreatedAt: "2026-11-01T10:00:00Z", Labels: labels}
	f.Volumes[name] = v
	return v, nil
}

// RunOnce answers the home volume's owner check with HomeOwner (by volume;
// "1000:1000" when unset) and records a chown as the new owner.
func (f *Engine) RunOnce(_ context.Context, s engine.ContainerSpec) (int, string, error) {
	f.Call("runonce " + strings.Join(s.Entrypoint, " "))
	f.Mu.Lock()
	defer f.Mu.Unlock()
	vol := ""
	if len(s.Mounts) > 0 {
		vol = s.Mounts[0].Source
	}
	if len(s.Entrypoint) > 2 && s.Entrypoint[0] == "chown" {
		f.HomeOwner[vol] = s.Entrypoint[2]
		return 0, "", nil
	}
	if o, ok := f.HomeOwner[vol]; ok {
		return 0, o + "\n", nil
	}
	return 0, "1000:1000\n", nil
}

func (f *Engine) BridgeGateway(context.Context) (string, error) { return "10.88.0.1", nil }

// The image list, for versions and prune: what Images holds, 1 GB each.
func (f *Engine) ListImages(_ context.Context, repo string) ([]engine.Image, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	var list []engine.Image
	for ref := range f.Images {
		if strings.HasPrefix(ref, repo+":") || strings.Contains(ref, "/"+repo+":") {
			list = append(list, engine.Image{ID: "sha256:" + ref, Ref: ref, Size: 1e9})
		}
	}
	return list, nil
}

func (f *Engine) ImagesInUse(context.Context) (map[string]bool, error) { return map[string]bool{}, nil }

func (f *Engine) RemoveImage(_ context.Context, ref string) error {
	f.Call("rmi " + ref)
	f.Mu.Lock()
	delete(f.Images, ref)
	f.Mu.Unlock()
	return nil
}

func (f *Engine) ImagesDiskUsage(context.Context) (int64, error) { return 0, nil }

func (f *Engine) Exec(_ context.Context, id string, cmd []string, limit int) (int, []byte, error) {
	f.Call("exec " + strings.Join(cmd, " "))
	if f.ExecFunc == nil {
		return 127, nil, nil
	}
	code, out := f.ExecFunc(id, cmd)
	return code, out[:min(limit, len(out))], nil
}

// ServeJupyter answers /api/status on c's published port for c's token,
// as the image's Jupyter would, and lists the desktop's servers as a
// 2026-09 image's jupyter-server-proxy does, until the test ends. Use it
// as OnStart.
func ServeJupyter(t testing.TB, c engine.Container) {
	var token string
	for _, e := range c.Env {
		if v, ok := strings.CutPrefix(e, "JUPYTER_TOKEN="); ok {
			token = v
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(c.HostPort(8888)))
	if err != nil {
		t.Errorf("serve Jupyter: %v", err)
		return
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "token "+token && r.URL.Query().Get("token") != token {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		if r.URL.Path == "/server-proxy/servers-info" {
			w.Write([]byte(`{"server_processes":[` +
				`{"name":"neurodesktop-rdp","launcher_entry":{"enabled":true,"title":"Neurodesktop RDP","path_info":"neurodesktop-rdp"}},` +
				`{"name":"neurodesktop-vnc","launcher_entry":{"enabled":true,"title":"Neurodesktop VNC","path_info":"neurodesktop-vnc"}},` +
				`{"name":"neurodesktop","launcher_entry":{"enabled":false,"title":"Neurodesktop","path_info":"neurodesktop"}}]}`))
			return
		}
		w.Write([]byte("{}"))
	}))
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
}
