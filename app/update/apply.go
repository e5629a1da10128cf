package update

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/creativeprojects/go-selfupdate"
	selfapply "github.com/creativeprojects/go-selfupdate/update"

	"github.com/neurodesk/neurodeskapp/app/problem"
)

// Kind is how the app was installed, which decides how it is replaced.
type Kind string

const (
	KindBinary      Kind = "binary"       // a plain file: replace it
	KindAppImage    Kind = "appimage"     // replace the AppImage file
	KindWindowsUser Kind = "windows-user" // per-user install: replace the exe, restart
	KindMacBundle   Kind = "mac-bundle"   // replace the whole .app, never a file inside it
	KindPackage     Kind = "package"      // .deb/.rpm: the package manager owns the files
)

// Install is where the running app lives and how it got there.
type Install struct {
	Kind Kind   `json:"kind"`
	Path string `json:"path"` // the file or bundle that an update replaces
}

// Env is what DetectInstall reads, passed in so tests describe any machine.
type Env struct {
	GOOS   string
	Getenv func(string) string
	// Owned reports whether a package manager owns path (dpkg -S, rpm -qf).
	Owned func(path string) bool
}

// HostEnv describes this machine.
func HostEnv(goos string) Env {
	return Env{GOOS: goos, Getenv: os.Getenv, Owned: ownedByPackage}
}

// DetectInstall tells how the executable at exe was installed.
func DetectInstall(exe string, env Env) Install {
	switch env.GOOS {
	case "darwin":
		if i := strings.Index(exe, ".app/Contents/MacOS/"); i >= 0 {
			return Install{Kind: KindMacBundle, Path: exe[:i+len(".app")]}
		}
	case "windows":
		local := env.Getenv("LOCALAPPDATA")
		prefix := strings.ToLower(strings.TrimRight(local, `\/`) + `\Programs\`)
		if local != "" && strings.HasPrefix(strings.ToLower(exe), prefix) {
			return Install{Kind: KindWindowsUser, Path: exe}
		}
	case "linux":
		if p := env.Getenv("APPIMAGE"); p != "" {
			return Install{Kind: KindAppImage, Path: p}
		}
		if env.Owned != nil && env.Owned(exe) {
			return Install{Kind: KindPackage, Path: exe}
		}
	}
	return Install{Kind: KindBinary, Path: exe}
}

func ownedByPackage(path string) bool {
	if !strings.HasPrefix(path, "/usr/") && !strings.HasPrefix(path, "/opt/") {
		return false
	}
	for _, c := range [][]string{{"dpkg-query", "-S", path}, {"rpm", "-qf", path}} {
		if _, err := exec.LookPath(c[0]); err == nil && exec.Command(c[0], c[1:]...).Run() == nil {
			return true
		}
	}
	return false
}

// Apply replaces the installed app with a verified download (from
// Download). If anything fails, the old version is left in place.
func (u *Updater) Apply(r Release, data []byte, inst Install) error {
	switch inst.Kind {
	case KindPackage:
		return &problem.Error{Code: problem.UpdateManaged, Message: fmt.Sprintf("Version %s is available. This copy was installed with the system's package manager, so the app does not replace it.", r.Version),
			Remedy: "Download the new .deb or .rpm from " + r.URL + " and install it, or update with your package manager."}
	case KindMacBundle:
		return replaceBundle(data, inst.Path)
	}
	exe, err := selfupdate.DecompressCommand(bytes.NewReader(data), r.AssetName, filepath.Base(inst.Path), u.cfg.OS, u.cfg.Arch)
	if err != nil {
		return fmt.Errorf("unpack update: %w", err)
	}
	if err := selfapply.Apply(exe, selfapply.Options{TargetPath: inst.Path}); err != nil {
		return fmt.Errorf("replace %s: %w", inst.Path, err)
	}
	return nil
}

// replaceBundle unpacks a zipped .app beside the installed one and swaps
// the two folders; a signed bundle is never edited in place.
func replaceBundle(data []byte, bundle string) error {
	parent := filepath.Dir(bundle)
	tmp, err := os.MkdirTemp(parent, ".neurodesk-update-")
	if err != nil {
		return fmt.Errorf("unpack update: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := unzip(data, tmp); err != nil {
		return fmt.Errorf("unpack update: %w", err)
	}
	matches, _ := filepath.Glob(filepath.Join(tmp, "*.app"))
	if len(matches) != 1 {
		return fmt.Errorf("unpack update: expected one .app in the archive, found %d", len(matches))
	}
	old := bundle + ".old-" + time.Now().UTC().Format("20060102T150405")
	if err := os.Rename(bundle, old); err != nil {
		return fmt.Errorf("replace %s: %w", bundle, err)
	}
	if err := os.Rename(matches[0], bundle); err != nil {
		_ = os.Rename(old, bundle) // put the old version back
		return fmt.Errorf("replace %s: %w", bundle, err)
	}
	return os.RemoveAll(old)
}

func unzip(data []byte, dst string) error {
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	for _, f := range z.File {
		p := filepath.Join(dst, f.Name)
		if !strings.HasPrefix(p, filepath.Clean(dst)+string(os.PathSeparator)) {
			return fmt.Errorf("archive entry %q escapes the folder", f.Name)
		}
		mode := f.Mode()
		switch {
		case mode.IsDir():
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			continue
		case mode&os.ModeSymlink != 0:
			target, err := readAll(f)
			if err != nil {
				return err
			}
			if err := os.Symlink(string(target), p); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		b, err := readAll(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(p, b, mode.Perm()|0o200); err != nil {
			return err
		}
	}
	return nil
}

func readAll(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// RestartFlag tells the new copy to wait for the old one's single-instance
// lock instead of handing over to it.
const RestartFlag = "--after-update"

// Restart starts the updated app; the caller then quits.
func Restart(inst Install) error {
	cmd := exec.Command(inst.Path, RestartFlag)
	if inst.Kind == KindMacBundle {
		cmd = exec.Command("open", "-n", inst.Path, "--args", RestartFlag)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("restart %s: %w", inst.Path, err)
	}
	return nil
}
