package update

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	selfapply "github.com/creativeprojects/go-selfupdate/update"

	"github.com/neurodesk/neurodeskapp/app/problem"
)

// Kind is how the app was installed, which decides how it is replaced.
type Kind string

const (
	KindBinary      Kind = "binary"        // a plain file: replace it
	KindAppImage    Kind = "appimage"      // replace the AppImage file
	KindWindowsUser Kind = "windows-user"  // per-user install: replace the exe, restart
	KindMacBundle   Kind = "mac-bundle"    // replace the whole .app, never a file inside it
	KindMacReadOnly Kind = "mac-read-only" // run from the disk image or translocated: move it first
	KindPackage     Kind = "package"       // .deb/.rpm: the package manager owns the files
)

// Package managers that may own an install.
const (
	PackageDeb = "deb"
	PackageRPM = "rpm"
)

// Install is where the running app lives and how it got there.
type Install struct {
	Kind    Kind   `json:"kind"`
	Path    string `json:"path"`              // the file or bundle that an update replaces
	Package string `json:"package,omitempty"` // deb or rpm, for KindPackage
}

// Env is what DetectInstall reads, passed in so tests describe any machine.
type Env struct {
	GOOS   string
	Getenv func(string) string
	// Owner names the package manager that owns path (deb, rpm), or "".
	Owner func(path string) string
}

// HostEnv describes this machine.
func HostEnv(goos string) Env {
	return Env{GOOS: goos, Getenv: os.Getenv, Owner: packageOwner}
}

// DetectInstall tells how the executable at exe was installed.
func DetectInstall(exe string, env Env) Install {
	switch env.GOOS {
	case "darwin":
		if i := strings.Index(exe, ".app/Contents/MacOS/"); i >= 0 {
			bundle := exe[:i+len(".app")]
			// Opened from the mounted .dmg, or from Downloads with macOS'
			// App Translocation: a read-only copy nothing can replace.
			if strings.HasPrefix(bundle, "/Volumes/") || strings.Contains(bundle, "/AppTranslocation/") {
				return Install{Kind: KindMacReadOnly, Path: bundle}
			}
			return Install{Kind: KindMacBundle, Path: bundle}
		}
	case "windows":
		local := env.Getenv("LOCALAPPDATA")
		prefix := strings.ToLower(strings.TrimRight(local, `\/`) + `\Programs\`)
		if local != "" && strings.HasPrefix(strings.ToLower(exe), prefix) {
			return Install{Kind: KindWindowsUser, Path: exe}
		}
	case "linux":
		// $APPIMAGE is inherited by whatever another AppImage starts (a
		// terminal inside one, say): it names our file only when we run
		// from inside its mount, $APPDIR.
		if p, dir := env.Getenv("APPIMAGE"), env.Getenv("APPDIR"); p != "" && dir != "" && withinSlash(exe, dir) {
			return Install{Kind: KindAppImage, Path: p}
		}
		if env.Owner != nil {
			if pm := env.Owner(exe); pm != "" {
				return Install{Kind: KindPackage, Path: exe, Package: pm}
			}
		}
	}
	return Install{Kind: KindBinary, Path: exe}
}

// within reports whether p lies inside dir (lexically; both absolute).
func within(p, dir string) bool {
	rel, err := filepath.Rel(filepath.Clean(dir), filepath.Clean(p))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// withinSlash is within for Linux paths, whatever this OS's separator
// (DetectInstall is told which OS it reads for).
func withinSlash(p, dir string) bool {
	p, dir = path.Clean(p), path.Clean(dir)
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

func packageOwner(path string) string {
	if !strings.HasPrefix(path, "/usr/") && !strings.HasPrefix(path, "/opt/") {
		return ""
	}
	for pm, c := range map[string][]string{PackageDeb: {"dpkg-query", "-S", path}, PackageRPM: {"rpm", "-qf", path}} {
		if _, err := exec.LookPath(c[0]); err == nil && exec.Command(c[0], c[1:]...).Run() == nil {
			return pm
		}
	}
	return ""
}

// PackageCommand is what a person runs to install a downloaded package.
func PackageCommand(inst Install, file string) string {
	if inst.Package == PackageRPM {
		return "sudo dnf install ./" + file + "   (or: sudo zypper install ./" + file + ")"
	}
	return "sudo apt install ./" + file
}

// Blocked says why this install cannot replace itself with r, before
// anything is downloaded; nil when it can.
func Blocked(r Release, inst Install) error {
	if inst.Kind == KindMacReadOnly {
		return &problem.Error{Code: problem.UpdateManaged,
			Message: fmt.Sprintf("Version %s is available, but Neurodesk is running from the disk image (or a read-only copy macOS made), which cannot be changed.", r.Version),
			Remedy:  "Drag Neurodesk into the Applications folder, open it from there, and update again."}
	}
	return nil
}

// Apply replaces the installed app with a verified download (from
// Download). If anything fails, the old version is left in place.
func (u *Updater) Apply(r Release, data []byte, inst Install) error {
	if err := Blocked(r, inst); err != nil {
		return err
	}
	switch inst.Kind {
	case KindPackage:
		remedy := "Download the new package from " + r.URL + " and install it with your package manager."
		if r.AssetName != "" {
			remedy = "Download " + r.AssetURL + " and install it: " + PackageCommand(inst, r.AssetName)
		}
		return &problem.Error{Code: problem.UpdateManaged, Message: fmt.Sprintf("Version %s is available. This copy was installed with the system's package manager, so the app does not replace it.", r.Version),
			Remedy: remedy}
	case KindMacBundle:
		return replaceBundle(data, inst.Path)
	case KindAppImage:
		// The AppImage is the download itself, not an archive.
		if err := selfapply.Apply(bytes.NewReader(data), selfapply.Options{TargetPath: inst.Path, TargetMode: 0o755}); err != nil {
			return fmt.Errorf("replace %s: %w", inst.Path, err)
		}
		return nil
	}
	exe, err := unpackProgram(data, r.AssetName, filepath.Base(inst.Path))
	if err != nil {
		return fmt.Errorf("unpack update: %w", err)
	}
	if err := selfapply.Apply(bytes.NewReader(exe), selfapply.Options{TargetPath: inst.Path}); err != nil {
		return fmt.Errorf("replace %s: %w", inst.Path, err)
	}
	// The update itself worked; a stale "Installed apps" entry is only noted.
	if err := recordInstalled(inst, r.Version); err != nil {
		slog.Warn("record the new version in Installed apps", "error", err)
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

// unzip extracts a zipped .app into dst. Links are made last, after every
// file, so nothing is ever written through one, and a link may only point
// inside the archive's own tree.
func unzip(data []byte, dst string) error {
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	root := filepath.Clean(dst) + string(os.PathSeparator)
	var links []*zip.File
	for _, f := range z.File {
		p := filepath.Join(dst, f.Name)
		if !strings.HasPrefix(p, root) {
			return fmt.Errorf("archive entry %q escapes the folder", f.Name)
		}
		mode := f.Mode()
		switch {
		case mode&os.ModeSymlink != 0:
			links = append(links, f)
			continue
		case mode.IsDir():
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			continue
		case !mode.IsRegular():
			return fmt.Errorf("archive entry %q is not a file, folder or link", f.Name)
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
	for _, f := range links {
		p := filepath.Join(dst, f.Name)
		target, err := readAll(f)
		if err != nil {
			return err
		}
		t := string(target)
		if filepath.IsAbs(t) || !strings.HasPrefix(filepath.Join(filepath.Dir(p), t), root) {
			return fmt.Errorf("archive link %q points outside the bundle (%s)", f.Name, t)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.Symlink(t, p); err != nil {
			return err
		}
	}
	// By their text each link stays inside; followed, through the others,
	// each must too ("here -> ." and "up -> here/.." do not).
	// The bundle (the archive's top folder) is what moves into place:
	// a link that leads out of it would lead elsewhere there.
	for _, f := range links {
		top, _, _ := strings.Cut(filepath.ToSlash(filepath.Clean(f.Name)), "/")
		bundle, err := filepath.EvalSymlinks(filepath.Join(dst, top))
		if err != nil {
			return err
		}
		real, err := filepath.EvalSymlinks(filepath.Join(dst, f.Name))
		if err != nil {
			return fmt.Errorf("archive link %q points at nothing in the bundle: %w", f.Name, err)
		}
		if !within(real, bundle) {
			return fmt.Errorf("archive link %q leads outside the bundle (%s)", f.Name, real)
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
