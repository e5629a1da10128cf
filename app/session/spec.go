// Package session runs one Neurodesktop session: it turns settings into a
// container, starts it, waits for JupyterLab, adopts a running one, stops it.
package session

import (
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"

	"github.com/distribution/reference"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/settings"
)

// The container contract the Neurodesktop image is built around.
const (
	ContainerName = "neurodeskapp"
	HomeVolume    = "neurodesk-home"
	JupyterPort   = 8888
	// MACAddress is fixed because licence-bound tools (MATLAB) tie their
	// activation to it.
	MACAddress = "88:75:56:ef:3e:d6"

	StorageTarget = "/neurodesktop-storage"
	HomeTarget    = "/home/jovyan"
	// RootHomeTarget is the home when Jupyter runs as root (rootless
	// Docker): docker-stacks' start.sh moves root's home there.
	RootHomeTarget = "/home/root"
	WorkTarget     = "/data"
)

// Names are the container's and the home volume's names. Tests, and a
// second instance, use a suffix so they never touch the user's own.
type Names struct {
	Container  string
	HomeVolume string
	// Personal: somebody else on this engine holds the contract's names,
	// and these are this person's own.
	Personal bool
}

// NamesFor returns the contract's names, or suffixed ones for an instance.
func NamesFor(instance string) Names {
	if instance == "" {
		return Names{Container: ContainerName, HomeVolume: HomeVolume}
	}
	return Names{Container: ContainerName + "-" + instance, HomeVolume: HomeVolume + "-" + instance}
}

// Labels mark what we created; we never touch a container without LabelManaged.
const (
	LabelManaged    = "org.neurodesk.app.managed"
	LabelVersion    = "org.neurodesk.app.version"
	LabelDataFolder = "org.neurodesk.app.data-folder"
	LabelWorkFolder = "org.neurodesk.app.work-folder" // mounted at /data
	LabelPort       = "org.neurodesk.app.port"
	LabelImage      = "org.neurodesk.app.image"
	LabelRole       = "org.neurodesk.app.role"
	// LabelVolumeID tells a home volume from one made anew under its name.
	LabelVolumeID = "org.neurodesk.app.volume-id"
	// LabelOwner is the uid (SID on Windows) of the user whose app made the
	// container; another user's containers are never adopted or stopped.
	LabelOwner     = "org.neurodesk.app.owner-uid"
	LabelOwnerName = "org.neurodesk.app.owner"
	// LabelPrivileges is the privileges the container was made with.
	LabelPrivileges = "org.neurodesk.app.privileges"
)

// Params is everything the container depends on.
type Params struct {
	Names    Names
	Settings settings.Settings
	Image    string // the reference to run
	Version  string // NEURODESKTOP_VERSION
	Facts    platform.Facts
	Users    Users  // NB_UID:NB_GID and the user namespace
	AppArmor bool   // the engine's host has AppArmor loaded
	Gateway  string // how the container reaches the host; "" means host-gateway
	HostPort int
	Token    string
}

// Spec is the container for a session: a pure function of its parameters.
func Spec(p Params) engine.ContainerSpec {
	s := p.Settings
	cvmfsDisable := "false"
	if s.CVMFSMode == settings.CVMFSOffline {
		cvmfsDisable = "true"
	}
	gateway := p.Gateway
	if gateway == "" {
		gateway = "host-gateway"
	}
	spec := engine.ContainerSpec{
		Name:  p.Names.Container,
		Image: p.Image,
		Labels: map[string]string{
			LabelManaged:    "true",
			LabelRole:       "session",
			LabelVersion:    p.Version,
			LabelDataFolder: s.DataFolder,
			LabelPort:       strconv.Itoa(p.HostPort),
			LabelImage:      p.Image,
			LabelOwner:      p.Facts.Owner,
			LabelOwnerName:  p.Facts.OwnerName,
		},
		// The token goes in the environment, which only the container's
		// user and root can read, never in a command line, which every
		// local user can read in /proc.
		Env: []string{
			"JUPYTER_TOKEN=" + p.Token,
			"NEURODESKTOP_VERSION=" + p.Version,
			"CVMFS_DISABLE=" + cvmfsDisable,
			"NB_UID=" + strconv.Itoa(p.Users.UID),
			"NB_GID=" + strconv.Itoa(p.Users.GID),
			"NB_USER=" + p.Users.name(),
			"OLLAMA_HOST=http://host.docker.internal:11434",
			// Else the image prints its login address, token included, as
			// the log's last lines: the lines a failed start shows.
			"NEURODESKTOP_PRINT_ACCESS_URL=0",
		},
		Cmd: []string{"start.sh", "jupyter", "lab",
			"--ServerApp.password=", "--no-browser", "--expose-app-in-browser",
			"--ServerApp.port=" + strconv.Itoa(JupyterPort),
			// quit_button is Jupyter Server 2's (LabApp only warns and passes it on).
			"--ServerApp.quit_button=False"},
		User:       "root",
		UsernsMode: p.Users.UsernsMode,
		ShmSize:    s.ShmSizeMB << 20,
		ExtraHosts: []string{"host.docker.internal:" + gateway},
		MacAddress: macFor(p.Names, p.Facts.Owner),
		Mounts: []engine.Mount{
			{Source: s.DataFolder, Target: StorageTarget},
			{Volume: true, Source: p.Names.HomeVolume, Target: p.Users.home()},
		},
		Publish: []engine.PortBinding{{ContainerPort: JupyterPort, HostIP: "127.0.0.1", HostPort: p.HostPort}},
		GPU:     s.GPU,
		NanoCPU: int64(s.CPUs * 1e9),
		Memory:  int64(s.MemoryGB * (1 << 30)),
	}
	// GRANT_SUDO only when asked: images from 2026-09 default to apt-only
	// sudo and read "yes" as opting out of that hardening.
	if s.FullSudo {
		spec.Env = append(spec.Env, "GRANT_SUDO=yes")
	}
	if s.CVMFSEager && s.CVMFSMode != settings.CVMFSOffline {
		spec.Env = append(spec.Env, "NEURODESKTOP_CVMFS_STARTUP_MODE=eager")
	}
	switch s.Privileges {
	case settings.PrivilegesFull:
		spec.Privileged = true
	case settings.PrivilegesMinimal:
		minimal(&spec)
	}
	if p.AppArmor && s.Privileges != settings.PrivilegesNone {
		spec.SecurityOpt = []string{"apparmor=unconfined"} // AppArmor's docker-default denies the FUSE mount
	}
	if p.Users.AllowRoot {
		spec.Cmd = append(spec.Cmd, "--ServerApp.allow_root=True")
	}
	spec.Labels[LabelPrivileges] = s.Privileges
	if s.WorkFolder != "" {
		spec.Labels[LabelWorkFolder] = s.WorkFolder
		spec.Mounts = append(spec.Mounts, engine.Mount{Source: s.WorkFolder, Target: WorkTarget})
	}
	for _, m := range s.Mounts {
		spec.Mounts = append(spec.Mounts, engine.Mount{Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly})
	}
	return spec
}

// minimal gives spec what CVMFS needs to mount, as Neurodesk documents
// for engines that refuse --privileged.
func minimal(spec *engine.ContainerSpec) {
	spec.Privileged = false
	spec.CapAdd = []string{"SYS_ADMIN"}
	spec.Devices = []string{"/dev/fuse"}
}

// macFor is the contract's MAC address, or for a person's own container on
// an engine somebody else uses too, one of theirs: two containers with one
// address on one bridge would each lose the other's packets. It is fixed
// per person (a licence's activation follows it), and locally administered.
func macFor(n Names, owner string) string {
	if !n.Personal {
		return MACAddress
	}
	sum := sha256.Sum256([]byte("neurodeskapp " + owner))
	return fmt.Sprintf("8a:75:56:%02x:%02x:%02x", sum[0], sum[1], sum[2])
}

// Image is one reference to try, with the version it stands for.
type Image struct {
	Ref     string
	Version string
}

// Images lists the references to run for these settings, in the order to
// try them: the primary repository, then its mirrors.
func Images(s settings.Settings, tag string) []Image {
	switch s.Channel {
	case settings.ChannelDev:
		return []Image{{Ref: s.DevImage, Version: "dev"}}
	case settings.ChannelCustom:
		return []Image{{Ref: s.CustomImage, Version: tagOf(s.CustomImage)}}
	}
	var imgs []Image
	for _, repo := range s.Repositories() {
		imgs = append(imgs, Image{Ref: repo + ":" + tag, Version: tag})
	}
	return imgs
}

func tagOf(ref string) string {
	if n, err := reference.ParseNormalizedNamed(ref); err == nil {
		if t, ok := reference.TagNameOnly(n).(reference.Tagged); ok {
			return t.Tag()
		}
	}
	return "custom"
}

// tokenOf reads the Jupyter token back from a container's environment, so
// an adopted session can be reopened.
func tokenOf(c engine.Container) (string, error) {
	for _, e := range c.Env {
		if t, ok := strings.CutPrefix(e, "JUPYTER_TOKEN="); ok && t != "" {
			return t, nil
		}
	}
	return "", fmt.Errorf("no Jupyter token in the container's environment")
}
