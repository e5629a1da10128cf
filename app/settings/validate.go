package settings

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
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
}

// ReservedTargets are the container paths the app itself mounts.
var reservedTargets = []string{"/neurodesktop-storage", "/home/jovyan", "/data", "/cvmfs"}

// Validate checks every field and returns all problems (nil if none). It
// touches the disk only to check the folders.
func Validate(s Settings, lim Limits) error {
	var errs Errors
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if msg := checkDataFolder(s.DataFolder); msg != "" {
		add("data_folder", "%s", msg)
	}
	if s.WorkFolder != "" {
		if msg := checkExistingFolder(s.WorkFolder); msg != "" {
			add("work_folder", "%s", msg)
		} else if samePath(s.WorkFolder, s.DataFolder) {
			add("work_folder", "is the same folder as the data folder; choose another or leave it empty")
		}
	}
	switch s.CVMFSMode {
	case CVMFSStream:
		if !s.Privileged {
			add("cvmfs_mode", "streaming tools from CVMFS needs a privileged container; choose %q or turn privileged on", CVMFSOffline)
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
	if s.CPUs < 0 {
		add("cpus", "cannot be negative")
	} else if lim.NCPU > 0 && s.CPUs > float64(lim.NCPU) {
		add("cpus", "is %g, but the engine has only %d CPUs", s.CPUs, lim.NCPU)
	}
	if s.MemoryGB < 0 {
		add("memory_gb", "cannot be negative")
	} else if s.MemoryGB > 0 && s.MemoryGB < 2 {
		add("memory_gb", "is %g GB; Neurodesktop needs at least 2 GB (0 means no limit)", s.MemoryGB)
	} else if lim.MemTotal > 0 && s.MemoryGB*(1<<30) > float64(lim.MemTotal) {
		add("memory_gb", "is %g GB, more than the %.1f GB of memory the engine has", s.MemoryGB, float64(lim.MemTotal)/(1<<30))
	}
	if s.ShmSizeMB < 64 {
		add("shm_size_mb", "is %d MB; it must be at least 64 MB", s.ShmSizeMB)
	} else if lim.MemTotal > 0 && s.ShmSizeMB<<20 > lim.MemTotal/2 {
		add("shm_size_mb", "is %d MB, more than half of the engine's memory", s.ShmSizeMB)
	}
	switch s.OnQuit {
	case QuitAsk, QuitStop, QuitKeep:
	default:
		add("on_quit", "must be %q, %q or %q, not %q", QuitAsk, QuitStop, QuitKeep, s.OnQuit)
	}
	if s.ManifestURL != "" {
		if u, err := url.Parse(s.ManifestURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("manifest_url", "must be an http or https address")
		}
	}
	seen := map[string]bool{}
	for i, m := range s.Mounts {
		field := fmt.Sprintf("mounts[%d]", i)
		if msg := checkExistingFolder(m.Source); msg != "" {
			add(field+".source", "%s", msg)
		}
		t := path.Clean(m.Target)
		switch {
		case !path.IsAbs(m.Target):
			add(field+".target", "must be an absolute path inside the container, such as /mnt/scans")
		case t == "/" || isReserved(t):
			add(field+".target", "%s clashes with a folder the app mounts itself", t)
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

func isReserved(t string) bool {
	for _, r := range reservedTargets {
		if t == r || strings.HasPrefix(t, r+"/") || strings.HasPrefix(r, t+"/") {
			return true
		}
	}
	return false
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
