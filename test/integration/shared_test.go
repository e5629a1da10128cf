package integration

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/go-connections/nat"
)

// TestSharedEngineTwoPeople: on a daemon another person uses too (their app
// made the session container and the home volume with the contract's
// names, both marked with their uid), start gives this person a session
// and a home of their own. The other's container keeps running untouched,
// their home is neither mounted nor taken, and status, logs and stop see
// only ours.
func TestSharedEngineTwoPeople(t *testing.T) {
	w := newWorld(t)
	if r := w.run("pull"); r.code != 0 {
		t.Fatalf("pull: %s", r.stderr)
	}
	ctx := context.Background()
	theirs := map[string]string{"org.neurodesk.app.managed": "true", "org.neurodesk.app.owner-uid": "4242", "org.neurodesk.app.owner": "mallory"}
	home := "neurodesk-home-" + w.instance
	if _, err := w.docker.VolumeCreate(ctx, volume.CreateOptions{Name: home, Labels: theirs}); err != nil {
		t.Fatal(err)
	}
	c, err := w.docker.ContainerCreate(ctx, &container.Config{Image: w.repo + ":" + w.tag, Cmd: []string{"start.sh"}, Labels: theirs,
		Env: []string{"JUPYTER_TOKEN=theirs"}, ExposedPorts: nat.PortSet{"8888/tcp": {}}},
		&container.HostConfig{PortBindings: nat.PortMap{"8888/tcp": {{HostIP: "127.0.0.1", HostPort: "0"}}},
			Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: home, Target: "/home/jovyan"}}}, nil, nil, w.container())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.docker.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	before, _ := w.docker.ContainerInspect(ctx, c.ID)

	r := w.run("start", "--json", "--no-open")
	if r.code != 0 {
		t.Fatalf("start beside another person's session: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	list, _ := w.docker.ContainerList(ctx, container.ListOptions{Filters: filters.NewArgs(filters.Arg("name", w.container()),
		filters.Arg("label", "org.neurodesk.app.owner-uid="+strconv.Itoa(w.s.hostUser())))})
	if len(list) != 1 || !strings.HasPrefix(list[0].Names[0], "/"+w.container()+"-") {
		t.Fatalf("our sessions: %+v, want one under a name of our own", list)
	}
	for _, m := range list[0].Mounts {
		if m.Destination == "/home/jovyan" && (m.Name == home || !strings.HasPrefix(m.Name, home+"-")) {
			t.Errorf("our session mounts the home volume %q, not one of our own", m.Name)
		}
	}
	for _, args := range [][]string{{"status", "--json"}, {"logs"}} {
		if r := w.run(args...); r.code != 0 || strings.Contains(r.stdout, "theirs") {
			t.Errorf("%v: exit %d %s %s", args, r.code, r.stdout, r.stderr)
		}
	}
	if r := w.run("stop", "--json"); r.code != 0 {
		t.Fatalf("stop: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	if _, err := w.docker.ContainerInspect(ctx, list[0].ID); err == nil {
		t.Error("our session survived stop")
	}
	after, err := w.docker.ContainerInspect(ctx, c.ID)
	if err != nil || !after.State.Running || after.State.StartedAt != before.State.StartedAt {
		t.Fatalf("the other person's session was disturbed: %v %+v", err, after.State)
	}
	v, err := w.docker.VolumeInspect(ctx, home)
	if err != nil || v.Labels["org.neurodesk.app.owner-uid"] != "4242" {
		t.Errorf("the other person's home volume: %v %v", err, v.Labels)
	}
	w.docker.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}) //nolint:errcheck
}
