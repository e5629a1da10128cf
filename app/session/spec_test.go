package session

import (
	"slices"
	"strings"
	"testing"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/settings"
)

func baseParams() Params {
	s := settings.Defaults("/home/ana/neurodesktop-storage")
	return Params{Names: NamesFor(""), Settings: s, Image: "docker.io/vnmd/neurodesktop:2026-07-11", Version: "2026-07-11",
		Facts: platform.Facts{OS: "linux", UID: 1001, GID: 1002, Owner: "1001", OwnerName: "ana"}, Users: Users{UID: 1001, GID: 1002}, HostPort: 49200, Token: strings.Repeat("ab", 32)}
}

func mountAt(spec engine.ContainerSpec, target string) (engine.Mount, bool) {
	for _, m := range spec.Mounts {
		if m.Target == target {
			return m, true
		}
	}
	return engine.Mount{}, false
}

func TestSpec(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Params)
		check func(*testing.T, engine.ContainerSpec)
	}{
		{"the container contract", func(*Params) {}, func(t *testing.T, s engine.ContainerSpec) {
			if s.Name != "neurodeskapp" || s.User != "root" || !s.Privileged || s.ShmSize != 1<<30 {
				t.Errorf("name %q user %q privileged %v shm %d", s.Name, s.User, s.Privileged, s.ShmSize)
			}
			for _, e := range []string{"NEURODESKTOP_VERSION=2026-07-11", "CVMFS_DISABLE=false", "GRANT_SUDO=yes", "NB_UID=1001", "NB_GID=1002", "OLLAMA_HOST=http://host.docker.internal:11434"} {
				if !slices.Contains(s.Env, e) {
					t.Errorf("env lacks %s", e)
				}
			}
			if !slices.Equal(s.ExtraHosts, []string{"host.docker.internal:host-gateway"}) {
				t.Errorf("extra hosts %v", s.ExtraHosts)
			}
			if s.MacAddress != "88:75:56:ef:3e:d6" {
				t.Errorf("MAC %q", s.MacAddress)
			}
			if len(s.Publish) != 1 || s.Publish[0] != (engine.PortBinding{ContainerPort: 8888, HostIP: "127.0.0.1", HostPort: 49200}) {
				t.Errorf("publish %+v", s.Publish)
			}
			want := []string{"start.sh", "jupyter", "lab", "--ServerApp.password=", "--no-browser", "--expose-app-in-browser",
				"--ServerApp.port=8888", "--LabApp.quit_button=False"}
			if !slices.Equal(s.Cmd, want) {
				t.Errorf("cmd %q", s.Cmd)
			}
			token := strings.Repeat("ab", 32)
			if !slices.Contains(s.Env, "JUPYTER_TOKEN="+token) || strings.Contains(strings.Join(s.Cmd, " ")+strings.Join(s.Entrypoint, " "), token) {
				t.Errorf("the token must be in the environment only: env %q cmd %q", s.Env, s.Cmd)
			}
			if m, _ := mountAt(s, "/neurodesktop-storage"); m.Source != "/home/ana/neurodesktop-storage" || m.Volume {
				t.Errorf("storage mount %+v", m)
			}
			if m, _ := mountAt(s, "/home/jovyan"); m.Source != "neurodesk-home" || !m.Volume {
				t.Errorf("home mount %+v", m)
			}
			if _, ok := mountAt(s, "/data"); ok {
				t.Error("/data mounted without a working folder")
			}
			if s.Labels[LabelManaged] != "true" || s.Labels[LabelVersion] != "2026-07-11" || s.Labels[LabelPort] != "49200" || s.Labels[LabelDataFolder] != "/home/ana/neurodesktop-storage" ||
				s.Labels[LabelOwner] != "1001" || s.Labels[LabelOwnerName] != "ana" {
				t.Errorf("labels %v", s.Labels)
			}
			if s.GPU || s.SecurityOpt != nil || s.Memory != 0 || s.NanoCPU != 0 {
				t.Errorf("unasked extras: gpu %v secopt %v mem %d cpu %d", s.GPU, s.SecurityOpt, s.Memory, s.NanoCPU)
			}
		}},
		{"offline mode", func(p *Params) { p.Settings.CVMFSMode = settings.CVMFSOffline }, func(t *testing.T, s engine.ContainerSpec) {
			if !slices.Contains(s.Env, "CVMFS_DISABLE=true") {
				t.Errorf("env %v", s.Env)
			}
		}},
		{"AppArmor host", func(p *Params) { p.AppArmor = true }, func(t *testing.T, s engine.ContainerSpec) {
			if !slices.Equal(s.SecurityOpt, []string{"apparmor=unconfined"}) {
				t.Errorf("security opt %v", s.SecurityOpt)
			}
		}},
		{"Podman gateway", func(p *Params) { p.Gateway = "10.88.0.1" }, func(t *testing.T, s engine.ContainerSpec) {
			if !slices.Equal(s.ExtraHosts, []string{"host.docker.internal:10.88.0.1"}) {
				t.Errorf("extra hosts %v", s.ExtraHosts)
			}
		}},
		{"GPU and limits", func(p *Params) {
			p.Settings.GPU, p.Settings.CPUs, p.Settings.MemoryGB, p.Settings.ShmSizeMB = true, 2.5, 8, 2048
		},
			func(t *testing.T, s engine.ContainerSpec) {
				if !s.GPU || s.NanoCPU != 2.5e9 || s.Memory != 8<<30 || s.ShmSize != 2<<30 {
					t.Errorf("gpu %v cpu %d mem %d shm %d", s.GPU, s.NanoCPU, s.Memory, s.ShmSize)
				}
			}},
		{"working folder and extra mounts", func(p *Params) {
			p.Settings.WorkFolder = "/srv/Studie 1/Daten"
			p.Settings.Mounts = []settings.Mount{{Source: "/mnt/scans", Target: "/scans", ReadOnly: true}}
		}, func(t *testing.T, s engine.ContainerSpec) {
			if m, ok := mountAt(s, "/data"); !ok || m.Source != "/srv/Studie 1/Daten" {
				t.Errorf("/data mount %+v", m)
			}
			if m, ok := mountAt(s, "/scans"); !ok || !m.ReadOnly {
				t.Errorf("/scans mount %+v", m)
			}
		}},
		{"no privileges", func(p *Params) { p.Settings.Privileges = settings.PrivilegesNone }, func(t *testing.T, s engine.ContainerSpec) {
			if s.Privileged || s.CapAdd != nil || s.Devices != nil || s.Labels[LabelPrivileges] != "none" {
				t.Errorf("privileged %v caps %v devices %v", s.Privileged, s.CapAdd, s.Devices)
			}
		}},
		{"minimal privileges", func(p *Params) { p.Settings.Privileges, p.AppArmor = settings.PrivilegesMinimal, true }, func(t *testing.T, s engine.ContainerSpec) {
			if s.Privileged || !slices.Equal(s.CapAdd, []string{"SYS_ADMIN"}) || !slices.Equal(s.Devices, []string{"/dev/fuse"}) ||
				!slices.Equal(s.SecurityOpt, []string{"apparmor=unconfined"}) || !slices.Contains(s.Env, "CVMFS_DISABLE=false") {
				t.Errorf("privileged %v caps %v devices %v secopt %v env %v", s.Privileged, s.CapAdd, s.Devices, s.SecurityOpt, s.Env)
			}
		}},
		{"instance names", func(p *Params) { p.Names = NamesFor("t1") }, func(t *testing.T, s engine.ContainerSpec) {
			if m, _ := mountAt(s, "/home/jovyan"); s.Name != "neurodeskapp-t1" || m.Source != "neurodesk-home-t1" {
				t.Errorf("name %q home %q", s.Name, m.Source)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := baseParams()
			tt.edit(&p)
			tt.check(t, Spec(p))
		})
	}
}

func TestImages(t *testing.T) {
	s := settings.Defaults("/d")
	got := Images(s, "2026-07-11")
	want := []Image{{"docker.io/vnmd/neurodesktop:2026-07-11", "2026-07-11"}, {"ghcr.io/neurodesk/neurodesktop/neurodesktop:2026-07-11", "2026-07-11"}}
	if !slices.Equal(got, want) {
		t.Errorf("stable: %v", got)
	}
	s.Channel = settings.ChannelDev
	if got := Images(s, "x"); len(got) != 1 || got[0].Ref != "docker.io/vnmd/neurodesktop-dev:latest" || got[0].Version != "dev" {
		t.Errorf("dev: %v", got)
	}
	s.Channel, s.CustomImage = settings.ChannelCustom, "myreg.example/neuro:1.2"
	if got := Images(s, "x"); got[0].Version != "1.2" {
		t.Errorf("custom: %v", got)
	}
}

func TestTokens(t *testing.T) {
	a, _ := NewToken()
	b, _ := NewToken()
	if len(a) < 32 || a == b {
		t.Errorf("tokens %q %q: want distinct, at least 128 bits", a, b)
	}
	got, err := tokenOf(engine.Container{Env: Spec(Params{Token: a, Settings: settings.Defaults("/d")}).Env})
	if err != nil || got != a {
		t.Errorf("token read back %q %v", got, err)
	}
}

// On a rootless engine the host user is root inside the user namespace:
// files written by the Jupyter user must still land as the host user's.
func TestUsersForEngine(t *testing.T) {
	f := platform.Facts{UID: 1001, GID: 1002}
	for _, tt := range []struct {
		name string
		info engine.Info
		want Users
	}{
		{"rootful Docker", engine.Info{Kind: engine.KindDockerEngine}, Users{UID: 1001, GID: 1002}},
		{"rootful Podman", engine.Info{Kind: engine.KindPodman}, Users{UID: 1001, GID: 1002}},
		{"rootless Podman", engine.Info{Kind: engine.KindPodman, Rootless: true}, Users{UID: 1001, GID: 1002, UsernsMode: "keep-id"}},
		{"rootless Docker", engine.Info{Kind: engine.KindDockerEngine, Rootless: true}, Users{UID: 0, GID: 0, AllowRoot: true}},
	} {
		if got := UsersFor(tt.info, f); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
	p := baseParams()
	p.Users = UsersFor(engine.Info{Kind: engine.KindPodman, Rootless: true}, p.Facts)
	if s := Spec(p); s.UsernsMode != "keep-id" || !slices.Contains(s.Env, "NB_UID=1001") || slices.Contains(s.Cmd, "--ServerApp.allow_root=True") {
		t.Errorf("rootless Podman: userns %q env %v cmd %v", s.UsernsMode, s.Env, s.Cmd)
	}
	p.Users = UsersFor(engine.Info{Kind: engine.KindDockerEngine, Rootless: true}, p.Facts)
	if s := Spec(p); s.UsernsMode != "" || !slices.Contains(s.Env, "NB_UID=0") || !slices.Contains(s.Cmd, "--ServerApp.allow_root=True") {
		t.Errorf("rootless Docker: userns %q env %v cmd %v", s.UsernsMode, s.Env, s.Cmd)
	}
}
