// Package settings holds the user's choices: one TOML file in the XDG config
// folder, saved atomically, validated field by field.
package settings

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/neurodesk/neurodeskapp/app/atomicfile"
)

// CVMFS modes: stream tools from CVMFS, or use only what is downloaded.
const (
	CVMFSStream  = "stream"
	CVMFSOffline = "offline"
)

// Channels: the manifest's current tag, the dev image, or an image of the user's.
const (
	ChannelStable = "stable"
	ChannelDev    = "dev"
	ChannelCustom = "custom"
)

// Privileges the container runs with.
const (
	// PrivilegesFull is --privileged, what Neurodesk's documentation uses.
	PrivilegesFull = "full"
	// PrivilegesMinimal is what CVMFS needs (SYS_ADMIN, /dev/fuse, AppArmor
	// unconfined): for engines that refuse privileged containers.
	PrivilegesMinimal = "minimal"
	// PrivilegesNone runs an ordinary container: offline tools only.
	PrivilegesNone = "none"
)

// What to do when a new Neurodesktop version is published.
const (
	NewVersionsAsk  = "ask"  // offer to download it in the background
	NewVersionsAuto = "auto" // download it in the background at once
	NewVersionsNone = "never"
)

// On quit with a session running.
const (
	QuitAsk  = "ask"
	QuitStop = "stop"
	QuitKeep = "keep"
)

// Mount is an extra folder the user mounts into the container.
type Mount struct {
	Source   string `toml:"source" json:"source"`
	Target   string `toml:"target" json:"target"`
	ReadOnly bool   `toml:"read_only" json:"read_only"`
}

// Settings is the whole file. Zero values mean "no limit" or "not set".
type Settings struct {
	DataFolder       string `toml:"data_folder" json:"data_folder"`
	WorkFolder       string `toml:"work_folder" json:"work_folder"` // mounted at /data when set
	CVMFSMode        string `toml:"cvmfs_mode" json:"cvmfs_mode"`
	Channel          string `toml:"channel" json:"channel"`
	CustomImage      string `toml:"custom_image" json:"custom_image"`
	ImageRepository  string `toml:"image_repository" json:"image_repository"`
	MirrorRepository string `toml:"mirror_repository" json:"mirror_repository"`
	DevImage         string `toml:"dev_image" json:"dev_image"`
	GPU              bool   `toml:"gpu" json:"gpu"`
	// FullSudo gives the Jupyter user every sudo right (GRANT_SUDO=yes).
	// Off, the image decides: from 2026-09 that is apt only ("packages").
	FullSudo bool `toml:"full_sudo" json:"full_sudo"`
	// CVMFSEager mounts the tools before JupyterLab opens; off, the image
	// mounts them in the background while JupyterLab is already usable.
	CVMFSEager bool `toml:"cvmfs_eager" json:"cvmfs_eager"`
	// Privileges is full, minimal or none (see the constants). When the
	// engine refuses full, a start falls back to minimal by itself.
	Privileges    string  `toml:"privileges" json:"privileges"`
	CPUs          float64 `toml:"cpus" json:"cpus"`
	MemoryGB      float64 `toml:"memory_gb" json:"memory_gb"`
	ShmSizeMB     int64   `toml:"shm_size_mb" json:"shm_size_mb"`
	OnQuit        string  `toml:"on_quit" json:"on_quit"`
	CheckUpdates  bool    `toml:"check_updates" json:"check_updates"`
	SkippedUpdate string  `toml:"skipped_update" json:"skipped_update"` // "Skip this version"
	ManifestURL   string  `toml:"manifest_url" json:"manifest_url"`
	// PinnedVersion makes every start use this tag (a study's version)
	// until it is cleared.
	PinnedVersion string `toml:"pinned_version" json:"pinned_version"`
	NewVersions   string `toml:"new_versions" json:"new_versions"`
	// Engine is the container engine to use: "" finds one; "docker" or
	// "podman" looks only at that kind's places; "context:NAME" is a
	// Docker context; an address (unix://, npipe://, tcp://, ssh://) is
	// used as DOCKER_HOST would be.
	Engine string  `toml:"engine" json:"engine"`
	Mounts []Mount `toml:"mounts" json:"mounts"`
	// RemoteServers are the Neurodesktops elsewhere the launcher offers:
	// Neurodesk Play's hubs unless the person changes the list.
	RemoteServers []RemoteServer `toml:"remote_servers" json:"remote_servers"`
	// Cluster is the HPC cluster (SLURM) to run on instead of an engine.
	Cluster Cluster `toml:"cluster" json:"cluster"`
}

// Cluster is a SLURM cluster, reached through its login node over SSH,
// and what a Neurodesktop job asks of it.
type Cluster struct {
	// Login is an SSH destination (user@host or an ~/.ssh/config alias).
	Login     string `toml:"login" json:"login"`
	Partition string `toml:"partition" json:"partition"` // "": the cluster's default
	Account   string `toml:"account" json:"account"`     // "": the person's default
	CPUs      int    `toml:"cpus" json:"cpus"`
	MemoryGB  int    `toml:"memory_gb" json:"memory_gb"`
	GPUs      int    `toml:"gpus" json:"gpus"`
	Hours     int    `toml:"hours" json:"hours"` // the job's time limit
	// DataFolder is a path on the cluster ("": ~/neurodesktop-storage there).
	DataFolder string `toml:"data_folder" json:"data_folder"`
	// Image is a site's SIF file; "": the current version from the registry.
	Image string `toml:"image" json:"image"`
}

// RemoteServer is one Neurodesktop on another machine, by its address.
type RemoteServer struct {
	Name string `toml:"name" json:"name"`
	URL  string `toml:"url" json:"url"`
}

// PlayServers are Neurodesk Play's hubs (their login is Neurodesk's).
func PlayServers() []RemoteServer {
	return []RemoteServer{
		{Name: "Neurodesk Play (Australia)", URL: "https://play.neurodesk.cloud.edu.au/"},
		{Name: "Neurodesk Play (Americas)", URL: "https://play-america.neurodesk.org/"},
		{Name: "Neurodesk Play (Europe)", URL: "https://play-europe.neurodesk.org/"},
	}
}

// The forms of Settings.Engine besides "" and an address.
const (
	EngineDocker  = "docker"
	EnginePodman  = "podman"
	EngineContext = "context:" // context:NAME, a Docker CLI context
)

// MirrorRepository is where Neurodesk pushes production images besides
// Docker Hub since 2026-06-08; FormerMirrorRepository, the app's default
// before, stopped receiving tags then (its old tags are still there, and
// on the disks of those who pulled them).
const (
	MirrorRepository       = "ghcr.io/neurodesk/neurodesktop"
	FormerMirrorRepository = "ghcr.io/neurodesk/neurodesktop/neurodesktop"
)

// Defaults returns the settings a new user starts with.
func Defaults(defaultDataFolder string) Settings {
	return Settings{
		DataFolder:       defaultDataFolder,
		CVMFSMode:        CVMFSStream,
		Channel:          ChannelStable,
		ImageRepository:  "docker.io/vnmd/neurodesktop",
		MirrorRepository: MirrorRepository,
		DevImage:         "docker.io/vnmd/neurodesktop-dev:latest",
		ShmSizeMB:        1024,
		Privileges:       PrivilegesFull,
		OnQuit:           QuitAsk,
		CheckUpdates:     true,
		NewVersions:      NewVersionsAsk,
		RemoteServers:    PlayServers(),
		Cluster:          Cluster{CPUs: 4, MemoryGB: 16, Hours: 8},
	}
}

// LoadResult says what Load had to do besides reading.
type LoadResult struct {
	// Created is true when there was no file yet.
	Created bool
	// Problem is set when the file could not be used; the defaults were
	// returned and the file was kept aside at Backup.
	Problem error
	Backup  string
}

// Load reads the file at path over the defaults. A missing file gives the
// defaults. A file that cannot be read or parsed is renamed aside (never
// deleted) and the defaults are returned with the reason: the app must keep
// working and say what happened.
func Load(path string, defaults Settings, now time.Time) (Settings, LoadResult) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return defaults, LoadResult{Created: true}
	}
	if err == nil {
		s := defaults
		dec := toml.NewDecoder(bytes.NewReader(data))
		if err = dec.Decode(&s); err == nil {
			return movedDefaults(s), LoadResult{}
		}
		err = fmt.Errorf("parse %s: %w", path, err)
	} else {
		err = fmt.Errorf("read %s: %w", path, err)
	}
	res := LoadResult{Problem: err}
	if backup, berr := atomicfile.SetAside(path, now.UTC().Format("20060102T150405Z")); berr == nil {
		res.Backup = backup
	} else {
		res.Problem = fmt.Errorf("%w (and it could not be kept aside: %v)", err, berr)
	}
	return defaults, res
}

// Repositories are where the stable channel's images come from, in the
// order to try them: the repository, its mirror, then the mirror the app
// used before upstream moved it (whose images are on the disks of those
// who pulled them).
func (s Settings) Repositories() []string {
	repos := []string{s.ImageRepository}
	former := ""
	if s.MirrorRepository == MirrorRepository {
		former = FormerMirrorRepository
	}
	for _, r := range []string{s.MirrorRepository, former} {
		if r != "" && !slices.Contains(repos, r) {
			repos = append(repos, r)
		}
	}
	return repos
}

// movedDefaults moves what still holds a default that upstream has since
// moved. Save writes every field, so a saved old default is told from a
// person's own choice only by its value: nobody picks a repository that
// stopped receiving tags.
func movedDefaults(s Settings) Settings {
	if s.MirrorRepository == FormerMirrorRepository {
		s.MirrorRepository = MirrorRepository
	}
	return s
}

// Save writes s to path atomically.
func Save(path string, s Settings) error {
	var buf bytes.Buffer
	buf.WriteString("# Neurodesk App settings. Edit with the app's Settings screen, or by hand while the app is closed.\n")
	if err := toml.NewEncoder(&buf).Encode(s); err != nil {
		return fmt.Errorf("encode settings: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	if err := atomicfile.Write(path, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	return nil
}
