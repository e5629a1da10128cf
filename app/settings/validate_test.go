package settings

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data ü")
	os.Mkdir(data, 0o755)
	file := filepath.Join(dir, "a file")
	os.WriteFile(file, nil, 0o644)
	work := filepath.Join(dir, "work")
	os.Mkdir(work, 0o755)
	lim := Limits{MemTotal: 16 << 30, NCPU: 8, EngineSocket: filepath.Join(dir, "engine", "docker.sock")}
	tests := []validateCase{
		{"defaults", func(*Settings) {}, "", ""},
		{"data folder created on start", func(s *Settings) { s.DataFolder = filepath.Join(dir, "new", "deeper") }, "", ""},
		{"relative data folder", func(s *Settings) { s.DataFolder = "data" }, "data_folder", "absolute"},
		{"data folder is a file", func(s *Settings) { s.DataFolder = file }, "data_folder", "is a file"},
		{"work folder missing", func(s *Settings) { s.WorkFolder = filepath.Join(dir, "nope") }, "work_folder", "does not exist"},
		{"work folder is the data folder", func(s *Settings) { s.WorkFolder = data }, "work_folder", "same folder"},
		{"work folder fine", func(s *Settings) { s.WorkFolder = work }, "", ""},
		{"memory above the host", func(s *Settings) { s.MemoryGB = 32 }, "memory_gb", "more than"},
		{"memory too small", func(s *Settings) { s.MemoryGB = 1 }, "memory_gb", "at least 2 GB"},
		{"cpus above the host", func(s *Settings) { s.CPUs = 9 }, "cpus", "only 8"},
		{"negative cpus", func(s *Settings) { s.CPUs = -1 }, "cpus", "number of CPUs"},
		{"shm too small", func(s *Settings) { s.ShmSizeMB = 8 }, "shm_size_mb", "at least 64"},
		{"unknown cvmfs mode", func(s *Settings) { s.CVMFSMode = "fast" }, "cvmfs_mode", `"fast"`},
		{"a cluster by its ssh_config name", func(s *Settings) { s.Cluster.Login, s.Cluster.Partition = "hpc", "gpu-a100" }, "", ""},
		{"a cluster login read as an option", func(s *Settings) { s.Cluster.Login = "-oProxyCommand=x" }, "cluster.login", "not an SSH destination"},
		{"a partition with a shell word", func(s *Settings) { s.Cluster.Partition = "a;rm" }, "cluster.partition", "only letters"},
		{"no cores on the cluster", func(s *Settings) { s.Cluster.CPUs = 0 }, "cluster.cpus", "from 1 to 1024 cores"},
		{"a month on the cluster", func(s *Settings) { s.Cluster.Hours = 1000 }, "cluster.hours", "from 1 to 720 hours"},
		{"a relative folder on the cluster", func(s *Settings) { s.Cluster.DataFolder = "data" }, "cluster.data_folder", "absolute path on the cluster"},
		{"a relative SIF file", func(s *Settings) { s.Cluster.Image = "nd.sif" }, "cluster.image", "absolute path on the cluster"},
		{"a data folder Apptainer reads as two mounts", func(s *Settings) { s.Cluster.DataFolder = "/scratch/a,b" }, "cluster.data_folder", "',' or ':'"},
		{"streaming needs privileges", func(s *Settings) { s.Privileges = PrivilegesNone }, "cvmfs_mode", "privileges"},
		{"streaming with minimal privileges", func(s *Settings) { s.Privileges = PrivilegesMinimal }, "", ""},
		{"unprivileged offline is fine", func(s *Settings) { s.Privileges, s.CVMFSMode = PrivilegesNone, CVMFSOffline }, "", ""},
		{"unknown privileges", func(s *Settings) { s.Privileges = "root" }, "privileges", `"root"`},
		{"repository with a tag", func(s *Settings) { s.ImageRepository = "vnmd/neurodesktop:latest" }, "image_repository", "tag"},
		{"custom image missing", func(s *Settings) { s.Channel = ChannelCustom }, "custom_image", "empty"},
		{"bad custom image", func(s *Settings) { s.Channel, s.CustomImage = ChannelCustom, "UPPER/Case::" }, "custom_image", "not an image"},
		{"unknown channel", func(s *Settings) { s.Channel = "beta" }, "channel", `"beta"`},
		{"bad manifest url", func(s *Settings) { s.ManifestURL = "ftp://x" }, "manifest_url", "http"},
		{"mount clashes with storage", func(s *Settings) { s.Mounts = []Mount{{Source: work, Target: "/neurodesktop-storage/x"}} }, "mounts[0].target", "clashes"},
		{"mount over home", func(s *Settings) { s.Mounts = []Mount{{Source: work, Target: "/home"}} }, "mounts[0].target", "clashes"},
		{"two mounts one target", func(s *Settings) { s.Mounts = []Mount{{Source: work, Target: "/x"}, {Source: data, Target: "/x/"}} }, "mounts[1].target", "another mount"},
		{"relative mount target", func(s *Settings) { s.Mounts = []Mount{{Source: work, Target: "x"}} }, "mounts[0].target", "absolute"},
		{"on quit", func(s *Settings) { s.OnQuit = "maybe" }, "on_quit", `"maybe"`},
		{"pinned version", func(s *Settings) { s.PinnedVersion = "2026-07-11" }, "", ""},
		{"pinned version not a tag", func(s *Settings) { s.PinnedVersion = "2026-07-11; rm" }, "pinned_version", "not an image tag"},
		{"new versions", func(s *Settings) { s.NewVersions = "sometimes" }, "new_versions", `"sometimes"`},
		{"cpus NaN", func(s *Settings) { s.CPUs = math.NaN() }, "cpus", "number of CPUs"},
		{"cpus infinite", func(s *Settings) { s.CPUs = math.Inf(1) }, "cpus", "number of CPUs"},
		{"memory NaN", func(s *Settings) { s.MemoryGB = math.NaN() }, "memory_gb", "number of GB"},
		{"memory -Inf", func(s *Settings) { s.MemoryGB = math.Inf(-1) }, "memory_gb", "number of GB"},
		{"negative memory", func(s *Settings) { s.MemoryGB = -4 }, "memory_gb", "number of GB"},
		{"shm past what the API holds", func(s *Settings) { s.ShmSizeMB = math.MaxInt64 - 5 }, "shm_size_mb", "at most"},
		{"mount over /etc", func(s *Settings) { s.Mounts = []Mount{{Source: work, Target: "/etc"}} }, "mounts[0].target", "system folders"},
		{"mount inside /usr", func(s *Settings) { s.Mounts = []Mount{{Source: work, Target: "/usr/local/x"}} }, "mounts[0].target", "system folders"},
		{"mount over /proc", func(s *Settings) { s.Mounts = []Mount{{Source: work, Target: "/proc"}} }, "mounts[0].target", "system folders"},
		{"mount over /", func(s *Settings) { s.Mounts = []Mount{{Source: work, Target: "/"}} }, "mounts[0].target", "cannot be /"},
		{"mount over /cvmfs", func(s *Settings) { s.Mounts = []Mount{{Source: work, Target: "/cvmfs"}} }, "mounts[0].target", "clashes"},
		{"mount source holds the engine's own socket", func(s *Settings) { s.Mounts = []Mount{{Source: dir, Target: "/host"}} }, "mounts[0].source", "socket"},
		{"engine podman", func(s *Settings) { s.Engine = "podman" }, "", ""},
		{"engine over ssh", func(s *Settings) { s.Engine = "ssh://ana@lab-server" }, "", ""},
		{"engine context", func(s *Settings) { s.Engine = "context:colima" }, "", ""},
		{"engine context without a name", func(s *Settings) { s.Engine = "context:" }, "engine", "name the Docker context"},
		{"engine unknown", func(s *Settings) { s.Engine = "kubernetes" }, "engine", "not an engine"},
		{"engine over http", func(s *Settings) { s.Engine = "http://x" }, "engine", "not an engine"},
		{"manifest over plain http", func(s *Settings) { s.ManifestURL = "http://example.org/neurodesktop.toml" }, "manifest_url", "https"},
		{"manifest over http on loopback", func(s *Settings) { s.ManifestURL = "http://127.0.0.1:8000/n.toml" }, "", ""},
		{"manifest over https", func(s *Settings) { s.ManifestURL = "https://example.org/neurodesktop.toml" }, "", ""},
	}
	if runtime.GOOS == "windows" {
		system := os.Getenv("SystemRoot")
		tests = append(tests,
			validateCase{"mount source C:\\", func(s *Settings) { s.Mounts = []Mount{{Source: filepath.VolumeName(dir) + `\`, Target: "/host"}} }, "mounts[0].source", "root of the file system"},
			validateCase{"mount source Windows", func(s *Settings) { s.Mounts = []Mount{{Source: system, Target: "/host"}} }, "mounts[0].source", "system folder"},
			validateCase{"work folder in Program Files", func(s *Settings) { s.WorkFolder = os.Getenv("ProgramFiles") }, "work_folder", "system folder"},
		)
	} else {
		tests = append(tests, []validateCase{
			{"mount source /", func(s *Settings) { s.Mounts = []Mount{{Source: "/", Target: "/host"}} }, "mounts[0].source", "root of the file system"},
			{"mount source holds the socket", func(s *Settings) { s.Mounts = []Mount{{Source: "/run", Target: "/host"}} }, "mounts[0].source", "socket"},
			{"mount source /etc", func(s *Settings) { s.Mounts = []Mount{{Source: "/etc", Target: "/host"}} }, "mounts[0].source", "system folder (/etc)"},
			{"mount source inside /boot", func(s *Settings) { s.Mounts = []Mount{{Source: "/boot/../usr/lib", Target: "/host"}} }, "mounts[0].source", "system folder (/usr)"},
			{"work folder /proc", func(s *Settings) { s.WorkFolder = "/proc" }, "work_folder", "system folder"},
			{"work folder /", func(s *Settings) { s.WorkFolder = "/" }, "work_folder", "root of the file system"},
			{"mount source /tmp", func(s *Settings) { s.Mounts = []Mount{{Source: "/tmp", Target: "/scratch"}} }, "mounts[0].source", "every account"},
			{"work folder /dev/shm", func(s *Settings) { s.WorkFolder = "/dev/shm" }, "work_folder", "every account"},
			{"mount source: the whole home", func(s *Settings) {
				home, _ := os.UserHomeDir()
				s.Mounts = []Mount{{Source: home, Target: "/host-home"}}
			}, "mounts[0].source", "whole home folder"},
		}...)
	}
	runValidateCases(t, data, lim, tests)
}

// validateCase edits the defaults and expects a field's error saying
// something, or no error when field is "".
type validateCase struct {
	name  string
	edit  func(*Settings)
	field string
	says  string
}

func runValidateCases(t *testing.T, data string, lim Limits, tests []validateCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Defaults(data)
			tt.edit(&s)
			err := Validate(s, lim)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("unexpected: %v", err)
				}
				return
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("want field errors, got %v", err)
			}
			for _, e := range errs {
				if e.Field == tt.field && strings.Contains(e.Message, tt.says) {
					return
				}
			}
			t.Errorf("no %s error saying %q in %v", tt.field, tt.says, errs)
		})
	}
}

// A remote engine's folders are paths on its host: none is looked up on
// this disk, and each is still refused when it would hand over that host.
func TestValidateRemoteFolders(t *testing.T) {
	lim := Limits{Remote: true, EngineSocket: "/tmp/local.sock"}
	tests := []validateCase{
		{"folders that exist only there", func(s *Settings) {
			s.Mounts = []Mount{{Source: "/srv/scans-on-the-server", Target: "/mnt/scans"}}
			s.WorkFolder = "/srv/work-on-the-server"
		}, "", ""},
		{"the host's /etc as data folder", func(s *Settings) { s.DataFolder = "/etc" }, "data_folder", "system folder (/etc)"},
		{"the host's /root as mount", func(s *Settings) { s.Mounts = []Mount{{Source: "/root/.ssh", Target: "/x"}} }, "mounts[0].source", "system folder (/root)"},
		{"the host's root", func(s *Settings) { s.Mounts = []Mount{{Source: "/", Target: "/x"}} }, "mounts[0].source", "root of the file system"},
		{"the host's socket folder", func(s *Settings) { s.WorkFolder = "/var/run" }, "work_folder", "socket"},
		{"a relative mount", func(s *Settings) { s.Mounts = []Mount{{Source: "scans", Target: "/x"}} }, "mounts[0].source", "absolute path on the engine's host"},
	}
	runValidateCases(t, "/srv/data-on-the-server", lim, tests)
}

func TestValidateUnwritableDataFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ro")
	os.Mkdir(dir, 0o555)
	if runtime.GOOS == "windows" {
		t.Skip("Windows folders have no write bits: their ACL decides, and 0555 makes none")
	}
	if os.Getuid() == 0 {
		// root writes anywhere; /proc/1 is a folder nobody can create files in.
		dir = "/proc/1"
	}
	err := Validate(Defaults(dir), Limits{})
	if err == nil || !strings.Contains(err.Error(), "not writable") {
		t.Errorf("err = %v", err)
	}
}
