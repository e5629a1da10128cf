package integration

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/docker/docker/api/types/container"
)

// TestStartPullReadyStop is the whole user path: pull with progress, start,
// JupyterLab answers, the container is configured as the image expects, stop,
// and the data written by the container survives a second session.
func TestStartPullReadyStop(t *testing.T) {
	w := newWorld(t)
	r := w.run("start", "--json", "--no-open")
	if r.code != 0 {
		t.Fatalf("start exited %d\nstdout:%s\nstderr:%s", r.code, r.stdout, r.stderr)
	}
	want := []string{"checking_engine", "pulling", "creating", "starting", "waiting_for_jupyter", "ready"}
	if got := r.states(); !slices.Equal(got, want) {
		t.Errorf("states = %v, want %v", got, want)
	}
	var progress int
	var sawBytes bool
	for _, rec := range r.records {
		if p, ok := rec["pull"].(map[string]any); ok {
			progress++
			if p["totals_known"] == true && p["bytes_total"].(float64) >= paddingSize && p["bytes_done"].(float64) <= p["bytes_total"].(float64) {
				sawBytes = true
			}
		}
	}
	if progress < 2 || !sawBytes {
		t.Errorf("pull progress: %d events, byte totals seen: %v; want several with totals", progress, sawBytes)
	}
	url, _ := r.last()["url"].(string)
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.Contains(url, "/lab?token=") {
		t.Fatalf("last record url = %q", url)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "JupyterLab") {
		t.Errorf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	token := url[strings.Index(url, "token=")+6:]
	if len(token) < 32 {
		t.Errorf("token %q has fewer than 128 bits", token)
	}

	c := w.inspect()
	checkContainer(t, c, w)
	checkTokenHidden(t, c, token)

	starts := filepath.Join(w.data, "standin-starts.txt")
	if n := lines(t, starts); n != 1 {
		t.Errorf("%s has %d lines after one start, want 1", starts, n)
	}
	checkJupyterUserWrites(t, w)

	r = w.run("stop", "--json")
	if r.code != 0 || r.last()["state"] != "stopped" {
		t.Fatalf("stop exited %d: %s %s", r.code, r.stdout, r.stderr)
	}
	if _, err := w.docker.ContainerInspect(context.Background(), w.container()); err == nil {
		t.Error("container still exists after stop")
	}
	if n := lines(t, starts); n != 1 {
		t.Errorf("data lost on stop: %d lines", n)
	}

	r = w.run("start", "--json", "--no-open")
	if r.code != 0 {
		t.Fatalf("second start exited %d: %s", r.code, r.stderr)
	}
	if slices.Contains(r.states(), "pulling") {
		t.Error("second start pulled again although the image is present")
	}
	if n := lines(t, starts); n != 2 {
		t.Errorf("after a second start the data folder has %d start lines, want 2", n)
	}
	if r := w.run("stop"); r.code != 0 {
		t.Fatalf("stop: %d %s", r.code, r.stderr)
	}
}

// checkTokenHidden: the token is in no process's command line on this
// machine (where every local user can read it) and not in the container's
// command; it is in the container's environment, where Jupyter reads it.
func checkTokenHidden(t *testing.T, c container.InspectResponse, token string) {
	t.Helper()
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range cmdlines {
		if b, err := os.ReadFile(f); err == nil && strings.Contains(string(b), token) {
			t.Errorf("the token is on the command line of %s: %q", f, strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	if strings.Contains(c.Path+strings.Join(c.Args, " ")+strings.Join(c.Config.Cmd, " ")+strings.Join(c.Config.Entrypoint, " "), token) {
		t.Errorf("the token is in the container's command: %s %q", c.Path, c.Args)
	}
	if !slices.Contains(c.Config.Env, "JUPYTER_TOKEN="+token) {
		t.Error("the token is not in the container's environment")
	}
	if len(cmdlines) < 10 {
		t.Errorf("only %d processes seen; the check would prove nothing", len(cmdlines))
	}
}

func checkContainer(t *testing.T, c container.InspectResponse, w *world) {
	t.Helper()
	if c.Config.Labels["org.neurodesk.app.managed"] != "true" || c.Config.Labels["org.neurodesk.app.version"] != w.tag {
		t.Errorf("labels = %v", c.Config.Labels)
	}
	if c.HostConfig.Privileged != w.s.privileged || c.Config.User != "root" {
		t.Errorf("privileged=%v user=%q", c.HostConfig.Privileged, c.Config.User)
	}
	if !w.s.privileged && (!hasSysAdmin(c.HostConfig.CapAdd) || len(c.HostConfig.Devices) != 1 || c.HostConfig.Devices[0].PathOnHost != "/dev/fuse") {
		t.Errorf("the minimal privileges are missing: caps %v devices %+v", c.HostConfig.CapAdd, c.HostConfig.Devices)
	}
	if c.HostConfig.ShmSize != 1<<30 {
		t.Errorf("shm = %d, want 1 GiB", c.HostConfig.ShmSize)
	}
	for port, bs := range c.HostConfig.PortBindings {
		for _, b := range bs {
			if b.HostIP != "127.0.0.1" {
				t.Errorf("port %s published on %q, want 127.0.0.1 only", port, b.HostIP)
			}
		}
	}
	if len(c.HostConfig.PortBindings) != 1 {
		t.Errorf("port bindings = %v, want only 8888", c.HostConfig.PortBindings)
	}
	for _, e := range []string{"NEURODESKTOP_VERSION=" + w.tag, "CVMFS_DISABLE=false", "NEURODESKTOP_PRINT_ACCESS_URL=0", "OLLAMA_HOST=http://host.docker.internal:11434"} {
		if !slices.Contains(c.Config.Env, e) {
			t.Errorf("env lacks %s: %v", e, c.Config.Env)
		}
	}
	if slices.ContainsFunc(c.Config.Env, func(e string) bool { return strings.HasPrefix(e, "GRANT_SUDO=") }) {
		t.Errorf("GRANT_SUDO is set, which the person did not ask for: %v", c.Config.Env)
	}
	uid := "NB_UID=1000"
	switch {
	case w.s.engine == "docker-rootless":
		uid = "NB_UID=0" // root in its user namespace is the host user
	case w.s.engine == "podman-rootless":
		uid = "NB_UID=1000" // the image's jovyan, which keep-id maps the host user to
	case w.s.hostUser() > 0:
		uid = "NB_UID=" + itoa(w.s.hostUser())
	}
	if !slices.Contains(c.Config.Env, uid) {
		t.Errorf("env lacks %s", uid)
	}
	// Rootless Podman maps the host user to jovyan inside (keep-id;
	// its inspect shows "private"): checkJupyterUserWrites proves it there.
	if w.s.engine != "podman-rootless" && c.HostConfig.UsernsMode != "" {
		t.Errorf("user namespace %q on a rootful engine", c.HostConfig.UsernsMode)
	}
	// Podman 4 has no host-gateway: the app writes its bridge's gateway.
	if w.s.podman() {
		if len(c.HostConfig.ExtraHosts) != 1 || net.ParseIP(strings.TrimPrefix(c.HostConfig.ExtraHosts[0], "host.docker.internal:")).To4() == nil {
			t.Errorf("extra hosts = %v, want host.docker.internal at the bridge's IPv4 gateway", c.HostConfig.ExtraHosts)
		}
	} else if !slices.Contains(c.HostConfig.ExtraHosts, "host.docker.internal:host-gateway") {
		t.Errorf("extra hosts = %v", c.HostConfig.ExtraHosts)
	}
	mounts := map[string]string{}
	for _, m := range c.Mounts {
		if m.Type == "volume" {
			mounts[m.Destination] = "volume:" + m.Name
		} else {
			mounts[m.Destination] = m.Source
		}
	}
	if mounts["/neurodesktop-storage"] != w.data {
		t.Errorf("/neurodesktop-storage from %q, want %q", mounts["/neurodesktop-storage"], w.data)
	}
	// Rootless Docker runs Jupyter as root inside (NB_USER=root), whose
	// home docker-stacks' start.sh makes /home/root.
	home := "/home/jovyan"
	if w.s.engine == "docker-rootless" {
		home = "/home/root"
	}
	if mounts[home] != "volume:neurodesk-home-"+w.instance {
		t.Errorf("%s from %q (mounts %v)", home, mounts[home], mounts)
	}
	//lint:ignore SA1019 engines older than API 1.44 report it only here
	mac := c.NetworkSettings.MacAddress
	for _, n := range c.NetworkSettings.Networks {
		if n.MacAddress != "" {
			mac = n.MacAddress
		}
	}
	if mac != "88:75:56:ef:3e:d6" {
		t.Errorf("MAC address = %q", mac)
	}
}

// checkJupyterUserWrites: what the Jupyter user (NB_UID) writes into the
// data folder belongs to the host user who runs the app, whatever the
// engine. Where the app runs as root, the Jupyter user is 1000 and cannot
// write root's folder: there is nothing to check then.
func checkJupyterUserWrites(t *testing.T, w *world) {
	t.Helper()
	if w.s.hostUser() == 0 {
		return
	}
	f := filepath.Join(w.data, "standin-jupyter-user.txt")
	fi, err := os.Stat(f)
	if err != nil {
		t.Errorf("the Jupyter user could not write to the data folder: %v\n%s", err, w.run("logs").stdout)
		return
	}
	if owner := fi.Sys().(*syscall.Stat_t).Uid; int(owner) != w.s.hostUser() {
		t.Errorf("a file the Jupyter user wrote belongs to uid %d on the host, want %d (the app's user)", owner, w.s.hostUser())
	}
}

func lines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return strings.Count(string(b), "\n")
}

func itoa(n int) string { return strconv.Itoa(n) }

// hasSysAdmin: engines spell the capability with or without CAP_.
func hasSysAdmin(caps []string) bool {
	return slices.Contains(caps, "SYS_ADMIN") || slices.Contains(caps, "CAP_SYS_ADMIN")
}
