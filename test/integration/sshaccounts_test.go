package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/go-connections/nat"

	"github.com/neurodesk/neurodeskapp/app/engine"
)

// account is a login on the test sshd's host, which may use the engine.
type account struct {
	name string
	uid  int
}

// addAccount makes a login on s's host for this test (in the docker
// group, as a person allowed to use the engine is, with s's key) and
// removes it afterwards.
func addAccount(t *testing.T, s sshd, who string) account {
	t.Helper()
	name := fmt.Sprintf("nd%s%d", who, os.Getpid()%100000)
	homes := t.TempDir()
	os.Chmod(homes, 0o755) // the account reaches its home
	home := filepath.Join(homes, name)
	if out, err := exec.Command("useradd", "--create-home", "--home-dir", home, "--shell", "/bin/sh", "--groups", "docker", "--password", "*", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd %s (the test needs the docker group): %v\n%s", name, err, out)
	}
	t.Cleanup(func() { exec.Command("userdel", name).Run() })
	out, err := exec.Command("id", "-u", name).Output()
	uid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || uid == 0 {
		t.Fatalf("id -u %s: %v %q", name, err, out)
	}
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	os.WriteFile(filepath.Join(home, ".ssh", "authorized_keys"), s.publicKey, 0o600)
	filepath.Walk(home, func(p string, _ os.FileInfo, _ error) error { return os.Lchown(p, uid, -1) })
	return account{name: name, uid: uid}
}

// TestRemoteEngineTwoAccounts: two people whose computers both run the app
// as the same local user reach one engine over SSH with their own
// accounts. Each gets a session of their own, running as their account's
// uid there; neither's status, stop or start touches the other's.
func TestRemoteEngineTwoAccounts(t *testing.T) {
	w := newWorld(t)
	s := startSSHD(t)
	if r := w.run("pull"); r.code != 0 {
		t.Fatalf("pull: %s", r.stderr)
	}
	os.MkdirAll(w.data, 0o755) // on "the engine's host"
	ana, ben := addAccount(t, s, "ana"), addAccount(t, s, "ben")
	as := func(a account) []string {
		run := filepath.Join(w.home, "run-"+a.name)
		os.MkdirAll(run, 0o700)
		return []string{fmt.Sprintf("DOCKER_HOST=ssh://%s@127.0.0.1:%d", a.name, s.port), "NEURODESK_SSH_CONFIG=" + s.clientConfig, "XDG_RUNTIME_DIR=" + run}
	}
	ctx := context.Background()
	sessionOf := func(a account) []container.Summary {
		list, err := w.docker.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(
			filters.Arg("label", "org.neurodesk.app.owner-uid="+strconv.Itoa(a.uid)), filters.Arg("name", w.container()))})
		if err != nil {
			t.Fatal(err)
		}
		return list
	}

	_, anaLeaves := w.startHeld(as(ana))
	anas := sessionOf(ana)
	if len(anas) != 1 {
		t.Fatalf("ana's sessions: %+v", anas)
	}
	c, _ := w.docker.ContainerInspect(ctx, anas[0].ID)
	if !slices.Contains(c.Config.Env, "NB_UID="+strconv.Itoa(ana.uid)) {
		t.Errorf("ana's Jupyter does not run as her account (uid %d) on the engine's host: %v", ana.uid, c.Config.Env)
	}

	// Ben, the same local user on another computer: not his session.
	if r := w.runEnv(as(ben), "status", "--json"); r.code != 3 || r.last()["running"] != false { // 3: no session
		t.Errorf("ben's status shows ana's session: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := w.runEnv(as(ben), "stop", "--json"); r.code != 0 {
		t.Errorf("ben's stop: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	if st, err := w.docker.ContainerInspect(ctx, anas[0].ID); err != nil || !st.State.Running || st.State.StartedAt != c.State.StartedAt {
		t.Fatalf("ben's stop disturbed ana's session: %v", err)
	}
	url, benLeaves := w.startHeld(as(ben))
	if strings.Contains(url, tokenOf(c.Config.Env)) {
		t.Error("ben was given ana's token")
	}
	bens := sessionOf(ben)
	if len(bens) != 1 || bens[0].ID == anas[0].ID {
		t.Fatalf("ben's sessions: %+v", bens)
	}
	volumes := func(cs container.Summary) (v []string) {
		for _, m := range cs.Mounts {
			if m.Type == "volume" {
				v = append(v, m.Name)
			}
		}
		return v
	}
	if av, bv := volumes(anas[0]), volumes(bens[0]); len(av) == 0 || slices.ContainsFunc(bv, func(n string) bool { return slices.Contains(av, n) }) {
		t.Errorf("ana's and ben's sessions share a home volume: %v %v", av, bv)
	}
	for _, a := range []account{ben, ana} {
		if r := w.runEnv(as(a), "stop", "--json"); r.code != 0 {
			t.Errorf("%s's stop: exit %d %s %s", a.name, r.code, r.stdout, r.stderr)
		}
		if left := sessionOf(a); len(left) != 0 {
			t.Errorf("%s's session survived their stop", a.name)
		}
	}
	anaLeaves()
	benLeaves()
}

func tokenOf(env []string) string {
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "JUPYTER_TOKEN="); ok {
			return v
		}
	}
	return "no token"
}

// TestForwardOfItsOwnEndsWithTheSession: where ssh has no control master
// (Windows) a forward is an ssh of its own. It ends when the session's
// container does, whichever process removes it, and Close ends the ones
// this process made.
func TestForwardOfItsOwnEndsWithTheSession(t *testing.T) {
	w := newWorld(t)
	s := startSSHD(t)
	if r := w.run("pull"); r.code != 0 {
		t.Fatalf("pull: %s", r.stderr)
	}
	ctx := context.Background()
	c, err := w.docker.ContainerCreate(ctx, &container.Config{Image: w.repo + ":" + w.tag, Cmd: []string{"start.sh"},
		Env: []string{"JUPYTER_TOKEN=t"}, ExposedPorts: nat.PortSet{"8888/tcp": {}}},
		&container.HostConfig{PortBindings: nat.PortMap{"8888/tcp": {{HostIP: "127.0.0.1", HostPort: "0"}}}}, nil, nil, w.container())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.docker.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	in, _ := w.docker.ContainerInspect(ctx, c.ID)
	remote, _ := strconv.Atoi(in.NetworkSettings.Ports["8888/tcp"][0].HostPort)

	// SSHOptions without a control folder: each forward is an ssh of its own.
	eng, err := engine.Open(ctx, engine.Endpoint{Host: fmt.Sprintf("ssh://root@127.0.0.1:%d", s.port), SSH: engine.SSHOptions{Config: s.clientConfig}})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	tun := eng.Tunnel()
	forwarded := func(id string) int {
		local, err := tun.Forward(ctx, remote, id)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 100 && listenerCommand(local) != "ssh"; i++ {
			time.Sleep(100 * time.Millisecond)
		}
		if who := listenerCommand(local); who != "ssh" {
			t.Fatalf("port %d is served by %q, not by a forward", local, who)
		}
		return local
	}
	gone := func(local int) bool {
		for i := 0; i < 150 && listenerCommand(local) != ""; i++ {
			time.Sleep(100 * time.Millisecond)
		}
		return listenerCommand(local) == ""
	}

	withSession := forwarded(c.ID)
	// Removed by another process (`neurodeskapp stop` from a terminal, say).
	if err := w.docker.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if !gone(withSession) {
		t.Errorf("the forward at port %d outlived the session's container", withSession)
	}
	untied := forwarded("")
	if err := tun.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if !gone(untied) {
		t.Errorf("the forward at port %d outlived Close", untied)
	}
}
