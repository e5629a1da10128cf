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
			for _, e := range []string{"NEURODESKTOP_VERSION=2026-07-11", "CVMFS_DISABLE=false", "NEURODESKTOP_PRINT_ACCESS_URL=0", "NB_UID=1001", "NB_GID=1002", "NB_USER=jovyan", "OLLAMA_HOST=http://host.docker.internal:11434"} {
				if !slices.Contains(s.Env, e) {
					t.Errorf("env lacks %s", e)
				}
			}
			for _, e := range s.Env {
				if strings.HasPrefix(e, "GRANT_SUDO=") || strings.HasPrefix(e, "NEURODESKTOP_CVMFS_STARTUP_MODE=") {
					t.Errorf("env has %s: the image's own default was not asked to change", e)
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
				"--ServerApp.port=8888", "--ServerApp.quit_button=False"}
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
		{"full sudo when asked", func(p *Params) { p.Settings.FullSudo = true }, func(t *testing.T, s engine.ContainerSpec) {
			if !slices.Contains(s.Env, "GRANT_SUDO=yes") {
				t.Errorf("env %v", s.Env)
			}
		}},
		{"tools mounted before JupyterLab when asked", func(p *Params) { p.Settings.CVMFSEager = true }, func(t *testing.T, s engine.ContainerSpec) {
			if !slices.Contains(s.Env, "NEURODESKTOP_CVMFS_STARTUP_MODE=eager") {
				t.Errorf("env %v", s.Env)
			}
		}},
		{"offline: nothing to mount eagerly", func(p *Params) { p.Settings.CVMFSEager, p.Settings.CVMFSMode = true, settings.CVMFSOffline }, func(t *testing.T, s engine.ContainerSpec) {
			if slices.Contains(s.Env, "NEURODESKTOP_CVMFS_STARTUP_MODE=eager") {
				t.Errorf("env %v", s.Env)
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
	// Docker Hub, the mirror upstream pushes to since 2026-06-08, then the
	// one before it, whose images may be on disk already.
	want := []Image{{"docker.io/vnmd/neurodesktop:2026-07-11", "2026-07-11"}, {"ghcr.io/neurodesk/neurodesktop:2026-07-11", "2026-07-11"},
		{"ghcr.io/neurodesk/neurodesktop/neurodesktop:2026-07-11", "2026-07-11"}}
	if !slices.Equal(got, want) {
		t.Errorf("stable: %v", got)
	}
	s.MirrorRepository = "registry.uni.example/neurodesktop"
	if got := Images(s, "2026-07-11"); len(got) != 2 || got[1].Ref != "registry.uni.example/neurodesktop:2026-07-11" {
		t.Errorf("a mirror of the person's own: %v", got)
	}
	s.MirrorRepository = settings.MirrorRepository
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
		{"rootless Podman", engine.Info{Kind: engine.KindPodman, Rootless: true, ServerVersion: "4.3.1"}, Users{UID: 1000, GID: 100, UsernsMode: "keep-id:uid=1000,gid=100"}},
		{"rootless Podman 4.2", engine.Info{Kind: engine.KindPodman, Rootless: true, ServerVersion: "4.2.0"}, Users{UID: 1001, GID: 1002, UsernsMode: "keep-id"}},
		{"rootless Docker", engine.Info{Kind: engine.KindDockerEngine, Rootless: true}, Users{UID: 0, GID: 0, AllowRoot: true}},
	} {
		if got := UsersFor(tt.info, f); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
	p := baseParams()
	p.Users = UsersFor(engine.Info{Kind: engine.KindPodman, Rootless: true, ServerVersion: "5.4.2"}, p.Facts)
	if s := Spec(p); s.UsernsMode != "keep-id:uid=1000,gid=100" || !slices.Contains(s.Env, "NB_UID=1000") || !slices.Contains(s.Env, "NB_GID=100") || slices.Contains(s.Cmd, "--ServerApp.allow_root=True") {
		t.Errorf("rootless Podman: userns %q env %v cmd %v", s.UsernsMode, s.Env, s.Cmd)
	}
	p.Users = UsersFor(engine.Info{Kind: engine.KindDockerEngine, Rootless: true}, p.Facts)
	// docker-stacks' start.sh cannot give jovyan uid 0 (its useradd refuses
	// a second uid 0): NB_USER=root, whose home it makes /home/root.
	if s := Spec(p); s.UsernsMode != "" || !slices.Contains(s.Env, "NB_UID=0") || !slices.Contains(s.Env, "NB_USER=root") || !slices.Contains(s.Cmd, "--ServerApp.allow_root=True") {
		t.Errorf("rootless Docker: userns %q env %v cmd %v", s.UsernsMode, s.Env, s.Cmd)
	}
	if m, ok := mountAt(Spec(p), "/home/root"); !ok || !m.Volume {
		t.Errorf("rootless Docker: the home volume is not root's home /home/root: %+v", Spec(p).Mounts)
	}
}

// On an engine reached over SSH, the account there is who the person is:
// two laptops that are both uid 1000 are told apart by their accounts.
func TestFactsOnTheEnginesHost(t *testing.T) {
	local := platform.Facts{OS: "windows", UID: 1000, GID: 1000, Owner: "S-1-5-21-1", OwnerName: `LAB\ana`}
	for _, tt := range []struct {
		name string
		info engine.Info
		want platform.Facts
	}{
		{"this computer's engine", engine.Info{}, local},
		{"over SSH", engine.Info{Remote: true, Account: &engine.Account{UID: 2101, GID: 2200, Name: "ana"}},
			platform.Facts{OS: "windows", UID: 2101, GID: 2200, Owner: "2101", OwnerName: "ana"}},
		{"over SSH as root", engine.Info{Remote: true, Account: &engine.Account{UID: 0, GID: 0, Name: "root"}},
			platform.Facts{OS: "windows", UID: 1000, GID: 1000, Owner: "0", OwnerName: "root"}},
		{"over TCP", engine.Info{Remote: true},
			platform.Facts{OS: "windows", UID: 1000, GID: 1000, Owner: "S-1-5-21-1@laptop-7", OwnerName: `LAB\ana@laptop-7`}},
	} {
		if got := FactsOn(tt.info, local, "laptop-7"); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// A person's own container, beside somebody else's on the same engine, has
// a MAC address of its own (two on one bridge would lose packets), the same
// at each start.
func TestPersonalMAC(t *testing.T) {
	p := baseParams()
	p.Names = Names{Container: "neurodeskapp-ana", HomeVolume: "neurodesk-home-ana", Personal: true}
	a := Spec(p).MacAddress
	if a == MACAddress || a != Spec(p).MacAddress || !strings.HasPrefix(a, "8a:75:56:") {
		t.Errorf("ana's MAC %q (the contract's is %s)", a, MACAddress)
	}
	p.Facts.Owner = "1002"
	if b := Spec(p).MacAddress; b == a {
		t.Errorf("two people share the MAC %s", b)
	}
}
