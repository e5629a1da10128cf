package settings

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"github.com/distribution/reference"
)

// FieldError is a problem with one field, worded for the person fixing it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// Errors is every problem found, in field order.
type Errors []FieldError

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return "invalid settings: " + strings.Join(parts, "; ")
}

// Limits are the machine's resources, as the engine sees them.
type Limits struct {
	MemTotal int64 // bytes; 0 if unknown
	NCPU     int
	// EngineSocket is the local socket the engine answers on, if any: no
	// folder that holds it may be mounted into the container.
	EngineSocket string
	// Remote: the engine runs on another machine, so the folders are paths
	// on that machine and cannot be looked at from here.
	Remote bool
}

// Ceilings for when the engine's limits are unknown: beyond them the
// values no longer fit the engine API's integers.
const (
	maxCPUs     = 1024
	maxMemoryGB = 1 << 16 // 64 TiB
	maxShmMB    = 1 << 20 // 1 TiB
)

// tagPattern is what an image tag may be (the distribution spec's rule).
var tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// reservedTargets are the container paths the app itself mounts, and
// systemTargets those the container's own system lives in: no extra mount
// may cover or sit inside them.
var (
	reservedTargets = []string{"/neurodesktop-storage", "/home/jovyan", "/data", "/cvmfs"}
	systemTargets   = []string{"/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/sys", "/dev", "/boot", "/run", "/var"}
)

// engineSockets are where engines listen on Linux and macOS; a folder that
// holds one must not be mounted (the container would command the engine).
var engineSockets = []string{"/var/run/docker.sock", "/run/docker.sock", "/run/podman/podman.sock", "/var/run/podman/podman.sock"}

// Validate checks every field and returns all problems (nil if none). It
// touches the disk only to check the folders.
func Validate(s Settings, lim Limits) error {
	var errs Errors
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	checkData, checkExisting := checkDataFolder, checkExistingFolder
	if lim.Remote {
		checkData, checkExisting = checkRemoteFolder, checkRemoteFolder
	}
	if msg := checkData(s.DataFolder); msg != "" {
		add("data_folder", "%s", msg)
	} else if msg := checkSource(s.DataFolder, lim); msg != "" {
		add("data_folder", "%s", msg)
	}
	if s.WorkFolder != "" {
		if msg := checkExisting(s.WorkFolder); msg != "" {
			add("work_folder", "%s", msg)
		} else if msg := checkSource(s.WorkFolder, lim); msg != "" {
			add("work_folder", "%s", msg)
		} else if samePath(s.WorkFolder, s.DataFolder) {
			add("work_folder", "is the same folder as the data folder; choose another or leave it empty")
		}
	}
	switch s.Privileges {
	case PrivilegesFull, PrivilegesMinimal, PrivilegesNone:
	default:
		add("privileges", "must be %q, %q or %q, not %q", PrivilegesFull, PrivilegesMinimal, PrivilegesNone, s.Privileges)
	}
	switch s.CVMFSMode {
	case CVMFSStream:
		if s.Privileges == PrivilegesNone {
			add("cvmfs_mode", "streaming tools from CVMFS needs full or minimal privileges; choose %q, or other privileges", CVMFSOffline)
		}
	case CVMFSOffline:
	default:
		add("cvmfs_mode", "must be %q or %q, not %q", CVMFSStream, CVMFSOffline, s.CVMFSMode)
	}
	switch s.Channel {
	case ChannelStable:
		checkRepo(add, "image_repository", s.ImageRepository, true)
		checkRepo(add, "mirror_repository", s.MirrorRepository, false)
	case ChannelDev:
		checkImage(add, "dev_image", s.DevImage)
	case ChannelCustom:
		checkImage(add, "custom_image", s.CustomImage)
	default:
		add("channel", "must be %q, %q or %q, not %q", ChannelStable, ChannelDev, ChannelCustom, s.Channel)
	}
	switch {
	case math.IsNaN(s.CPUs) || math.IsInf(s.CPUs, 0) || s.CPUs < 0:
		add("cpus", "must be a number of CPUs from 0 (no limit) up to the engine's, not %g", s.CPUs)
	case lim.NCPU > 0 && s.CPUs > float64(lim.NCPU):
		add("cpus", "is %g, but the engine has only %d CPUs", s.CPUs, lim.NCPU)
	case s.CPUs > maxCPUs:
		add("cpus", "is %g; at most %d", s.CPUs, maxCPUs)
	}
	switch {
	case math.IsNaN(s.MemoryGB) || math.IsInf(s.MemoryGB, 0) || s.MemoryGB < 0:
		add("memory_gb", "must be a number of GB from 2 up to the engine's memory, or 0 for no limit; not %g", s.MemoryGB)
	case s.MemoryGB > 0 && s.MemoryGB < 2:
		add("memory_gb", "is %g GB; Neurodesktop needs at least 2 GB (0 means no limit)", s.MemoryGB)
	case lim.MemTotal > 0 && s.MemoryGB*(1<<30) > float64(lim.MemTotal):
		add("memory_gb", "is %g GB, more than the %.1f GB of memory the engine has", s.MemoryGB, float64(lim.MemTotal)/(1<<30))
	case s.MemoryGB > maxMemoryGB:
		add("memory_gb", "is %g GB; at most %d", s.MemoryGB, maxMemoryGB)
	}
	switch {
	case s.ShmSizeMB < 64:
		add("shm_size_mb", "is %d MB; it must be at least 64 MB", s.ShmSizeMB)
	case s.ShmSizeMB > maxShmMB:
		add("shm_size_mb", "is %d MB; at most %d MB", s.ShmSizeMB, maxShmMB)
	case lim.MemTotal > 0 && s.ShmSizeMB<<20 > lim.MemTotal/2:
		add("shm_size_mb", "is %d MB, more than half of the engine's memory", s.ShmSizeMB)
	}
	switch s.OnQuit {
	case QuitAsk, QuitStop, QuitKeep:
	default:
		add("on_quit", "must be %q, %q or %q, not %q", QuitAsk, QuitStop, QuitKeep, s.OnQuit)
	}
	if msg := checkEngine(s.Engine); msg != "" {
		add("engine", "%s", msg)
	}
	switch s.NewVersions {
	case NewVersionsAsk, NewVersionsAuto, NewVersionsNone:
	default:
		add("new_versions", "must be %q, %q or %q, not %q", NewVersionsAsk, NewVersionsAuto, NewVersionsNone, s.NewVersions)
	}
	if s.PinnedVersion != "" && !tagPattern.MatchString(s.PinnedVersion) {
		add("pinned_version", "%q is not an image tag, such as 2026-07-11", s.PinnedVersion)
	}
	if s.ManifestURL != "" && !SecureURL(s.ManifestURL) {
		add("manifest_url", "must be an https address (http only on this computer, such as http://127.0.0.1:8000/neurodesktop.toml)")
	}
	for i, r := range s.RemoteServers {
		if u, err := url.Parse(r.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add(fmt.Sprintf("remote_servers[%d]", i), "%q is not a server's address; write it as https://server.example.org", r.URL)
		}
	}
	checkCluster(add, s.Cluster)
	seen := map[string]bool{}
	for i, m := range s.Mounts {
		field := fmt.Sprintf("mounts[%d]", i)
		if msg := checkExisting(m.Source); msg != "" {
			add(field+".source", "%s", msg)
		} else if msg := checkSource(m.Source, lim); msg != "" {
			add(field+".source", "%s", msg)
		}
		t := path.Clean(m.Target)
		switch {
		case !path.IsAbs(m.Target):
			add(field+".target", "must be an absolute path inside the container, such as /mnt/scans")
		case t == "/":
			add(field+".target", "cannot be / ; choose a folder such as /mnt/scans")
		case overlaps(t, reservedTargets):
			add(field+".target", "%s clashes with a folder the app mounts itself (%s); choose a folder such as /mnt/scans", t, strings.Join(reservedTargets, ", "))
		case overlaps(t, systemTargets):
			add(field+".target", "%s would cover the container's system folders; choose a folder such as /mnt/scans", t)
		case seen[t]:
			add(field+".target", "%s is used by another mount", t)
		}
		seen[t] = true
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// overlaps reports whether container path t is, is inside, or holds one of
// the paths in list.
func overlaps(t string, list []string) bool {
	for _, r := range list {
		if t == r || strings.HasPrefix(t, r+"/") || strings.HasPrefix(r, t+"/") {
			return true
		}
	}
	return false
}

// SecureURL reports whether u is https, or http to this computer only.
func SecureURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return false
	}
	switch p.Scheme {
	case "https":
		return true
	case "http":
		return IsLoopback(p.Hostname())
	}
	return false
}

// IsLoopback reports whether host names this computer.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkSource refuses a host folder whose mount would hand the container
// the machine: the root, a system folder (configuration, root's home, the
// boot files, programs) or a folder holding the engine's socket. A remote
// engine's folders are paths on its host, never looked up on this disk.
func checkSource(p string, lim Limits) string {
	clean, within, system := filepath.Clean, inside, systemFolders(runtime.GOOS)
	if lim.Remote {
		clean, within, system = path.Clean, insideSlash, systemFolders("linux")
	}
	real := clean(p)
	if !lim.Remote {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			real = r
		}
	}
	root := filepath.Dir(real) == real
	if lim.Remote {
		root = real == "/"
	}
	if root {
		return fmt.Sprintf("%q is the root of the file system; choose a folder inside it", p)
	}
	// Shared scratch: every account of the machine keeps files there (X
	// and ssh-agent sockets too); a folder of one's own inside is fine.
	for _, tmp := range []string{"/tmp", "/var/tmp", "/dev/shm"} {
		if (lim.Remote || runtime.GOOS != "windows") && real == tmp {
			return fmt.Sprintf("%q is the folder every account of the computer shares (its programs' sockets too); choose a folder of your own inside it", p)
		}
	}
	home, _ := os.UserHomeDir()
	if !lim.Remote && home != "" && samePath(real, home) {
		return fmt.Sprintf("%q is your whole home folder (its keys, mail and passwords); choose a folder inside it", p)
	}
	for _, sys := range system {
		// Someone whose home is /root may keep their data in it.
		if !lim.Remote && home != "" && inside(home, sys) && inside(real, home) {
			continue
		}
		if within(real, sys) {
			return fmt.Sprintf("%q is a system folder (%s); mounting it would hand the container this computer's configuration or programs; choose a folder of your own", p, sys)
		}
	}
	sockets := engineSockets
	if lim.EngineSocket != "" && !lim.Remote {
		sockets = append([]string{lim.EngineSocket}, sockets...)
	}
	for _, sock := range sockets {
		if !lim.Remote {
			if r, err := filepath.EvalSymlinks(sock); err == nil {
				sock = r
			}
		}
		if within(sock, real) {
			return fmt.Sprintf("%q holds the container engine's socket (%s); mounting it would give the container control of the engine", p, sock)
		}
	}
	return ""
}

// systemFolders are the host folders no mount may be or lie in. /run and
// /var are not among them whole: removable disks appear under /run/media
// and data under /var/data; their engine sockets are refused by name.
func systemFolders(goos string) []string {
	switch goos {
	case "windows":
		root := os.Getenv("SystemRoot")
		if root == "" {
			root = `C:\Windows`
		}
		return []string{root, os.Getenv("ProgramFiles"), os.Getenv("ProgramFiles(x86)")}
	case "darwin":
		// /etc and /var are links into /private; EvalSymlinks has followed them.
		return []string{"/System", "/private/etc", "/private/var/root", "/usr", "/bin", "/sbin", "/dev", "/cores"}
	}
	return []string{"/etc", "/root", "/boot", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/sys", "/dev"}
}

// insideSlash is inside for slash-separated paths of a remote host.
func insideSlash(p, dir string) bool {
	return dir != "" && (p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/"))
}

// inside reports whether path p is dir or lies under it.
func inside(p, dir string) bool {
	if dir == "" {
		return false
	}
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

func checkRepo(add func(string, string, ...any), field, repo string, required bool) {
	if repo == "" {
		if required {
			add(field, "is empty")
		}
		return
	}
	n, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		add(field, "%q is not an image repository: %v", repo, err)
		return
	}
	if _, tagged := n.(reference.Tagged); tagged {
		add(field, "%q must not carry a tag; the version comes from neurodesktop.toml", repo)
	}
}

func checkImage(add func(string, string, ...any), field, ref string) {
	if ref == "" {
		add(field, "is empty")
		return
	}
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		add(field, "%q is not an image reference: %v", ref, err)
	}
}

// checkDataFolder accepts a writable folder, or a path where one can be
// created (the app creates it on start).
func checkDataFolder(p string) string {
	if p == "" {
		return "is empty"
	}
	if !filepath.IsAbs(p) {
		return fmt.Sprintf("%q must be an absolute path", p)
	}
	st, err := os.Stat(p)
	if os.IsNotExist(err) {
		parent := filepath.Dir(p)
		for ; parent != filepath.Dir(parent); parent = filepath.Dir(parent) {
			if _, err := os.Stat(parent); err == nil {
				break
			}
		}
		if err := writable(parent); err != nil {
			return fmt.Sprintf("%q does not exist and cannot be created: %v", p, err)
		}
		return ""
	}
	if err != nil {
		return fmt.Sprintf("%q cannot be read: %v", p, err)
	}
	if !st.IsDir() {
		return fmt.Sprintf("%q is a file, not a folder", p)
	}
	if err := writable(p); err != nil {
		return fmt.Sprintf("%q is not writable: %v", p, err)
	}
	return ""
}

// checkRemoteFolder accepts an absolute path on the engine's host (always
// with forward slashes: engines reached remotely run Linux).
func checkRemoteFolder(p string) string {
	if p == "" {
		return "is empty"
	}
	if !path.IsAbs(p) {
		return fmt.Sprintf("%q must be an absolute path on the engine's host", p)
	}
	return ""
}

func checkExistingFolder(p string) string {
	if !filepath.IsAbs(p) {
		return fmt.Sprintf("%q must be an absolute path", p)
	}
	st, err := os.Stat(p)
	if err != nil {
		return fmt.Sprintf("%q does not exist", p)
	}
	if !st.IsDir() {
		return fmt.Sprintf("%q is a file, not a folder", p)
	}
	return ""
}

// writable tries what the container will do: create a file.
func writable(dir string) error {
	f, err := os.CreateTemp(dir, ".neurodesk-write-test-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func samePath(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	ai, errA := os.Stat(a)
	bi, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(ai, bi)
	}
	return filepath.Clean(a) == filepath.Clean(b)
}

// checkEngine says what is wrong with an engine choice ("" when nothing).
func checkEngine(c string) string {
	switch {
	case c == "", c == EngineDocker, c == EnginePodman:
		return ""
	case strings.HasPrefix(c, EngineContext):
		if strings.TrimSpace(strings.TrimPrefix(c, EngineContext)) == "" {
			return "name the Docker context after context:"
		}
		return ""
	}
	for _, scheme := range []string{"unix://", "npipe://", "tcp://", "ssh://"} {
		if strings.HasPrefix(c, scheme) && len(c) > len(scheme) {
			return ""
		}
	}
	return fmt.Sprintf("%q is not an engine: leave it empty (automatic), or docker, podman, context:NAME or an address (unix://, npipe://, tcp://, ssh://user@host)", c)
}

var slurmWord = regexp.MustCompile(`^[A-Za-z0-9._-]*$`)

// ValidateCluster checks only the HPC cluster's fields (a start there
// needs nothing else of this computer's settings).
func ValidateCluster(c Cluster) error {
	var errs Errors
	checkCluster(func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}, c)
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// checkCluster checks the HPC cluster's fields: what ssh and sbatch will
// be given (cluster.Job checks again before anything is sent).
func checkCluster(add func(string, string, ...any), c Cluster) {
	if c.Login != "" && (strings.HasPrefix(c.Login, "-") || strings.ContainsAny(c.Login, " \t\n\x00")) {
		add("cluster.login", "%q is not an SSH destination; write it as you@login.cluster.edu or a name from ~/.ssh/config", c.Login)
	}
	if !slurmWord.MatchString(c.Partition) {
		add("cluster.partition", "may hold only letters, digits, '.', '_' and '-'")
	}
	if !slurmWord.MatchString(c.Account) {
		add("cluster.account", "may hold only letters, digits, '.', '_' and '-'")
	}
	for _, f := range []struct {
		field     string
		v, lo, hi int
		unit      string
	}{{"cluster.cpus", c.CPUs, 1, 1024, "cores"}, {"cluster.memory_gb", c.MemoryGB, 1, 16384, "GB"}, {"cluster.gpus", c.GPUs, 0, 64, "GPUs"}, {"cluster.hours", c.Hours, 1, 720, "hours"}} {
		if f.v < f.lo || f.v > f.hi {
			add(f.field, "must be from %d to %d %s", f.lo, f.hi, f.unit)
		}
	}
	for _, f := range [][3]string{{"cluster.data_folder", c.DataFolder, "/home/you/data"}, {"cluster.image", c.Image, "/apps/neurodesk/neurodesktop.sif"}} {
		switch {
		case f[1] == "":
		case !path.IsAbs(f[1]) || strings.ContainsAny(f[1], "\n\x00"):
			add(f[0], "must be an absolute path on the cluster, such as %s", f[2])
		case strings.ContainsAny(f[1], ",:"):
			add(f[0], "may not hold ',' or ':', which Apptainer and Podman read as parts of a mount; rename the folder or file")
		}
	}
}
