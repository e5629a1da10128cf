// Package packaging runs `make package` and checks what a user would
// install: the .deb, the .rpm, and the signed Windows exe and installer.
package packaging

import (
	"archive/zip"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/neurodesk/neurodeskapp/internal/testenv"
)

var (
	once    sync.Once
	version string
	dist    string
	pkgErr  error
)

// packages runs make package once for all tests here.
func packages(t *testing.T) (string, string) {
	t.Helper()
	once.Do(func() {
		root := testenv.ModuleRoot()
		b, err := os.ReadFile(filepath.Join(root, "wails.json"))
		if err != nil {
			pkgErr = err
			return
		}
		m := regexp.MustCompile(`"productVersion":\s*"([^"]+)"`).FindSubmatch(b)
		if m == nil {
			pkgErr = fmt.Errorf("no productVersion in wails.json")
			return
		}
		version, dist = string(m[1]), filepath.Join(root, "dist")
		// No APPIMAGE_RUNTIME: the AppImage runtime is built from source.
		cmd := exec.Command("make", "package")
		cmd.Dir = root
		cmd.Env = slices.DeleteFunc(os.Environ(), func(e string) bool { return strings.HasPrefix(e, "APPIMAGE_RUNTIME=") })
		if out, err := cmd.CombinedOutput(); err != nil {
			pkgErr = fmt.Errorf("make package: %v\n%s", err, out)
		}
	})
	if pkgErr != nil {
		t.Fatal(pkgErr)
	}
	return version, dist
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func TestDeb(t *testing.T) {
	v, d := packages(t)
	deb := filepath.Join(d, fmt.Sprintf("neurodeskapp_%s_amd64.deb", v))
	fields := run(t, "dpkg-deb", "-f", deb)
	for _, want := range []string{"Package: neurodeskapp", "Version: " + v, "Architecture: amd64", "libwebkit2gtk-4.1-0", "libgtk-3-0", "Maintainer: ",
		"libc6 (>= 2.", "Replaces: neurodeskapp (<< 3.0.0~)", "Conflicts: neurodeskapp (<< 3.0.0~)"} {
		if !strings.Contains(fields, want) {
			t.Errorf("control lacks %q:\n%s", want, fields)
		}
	}
	files := run(t, "dpkg-deb", "-c", deb)
	for _, want := range []string{"./usr/bin/neurodeskapp -> /usr/lib/neurodeskapp/neurodeskapp", "./usr/lib/neurodeskapp/neurodeskapp", "./usr/lib/neurodeskapp/neurodeskapp-window",
		"./usr/share/applications/neurodeskapp.desktop", "./usr/share/doc/neurodeskapp/copyright",
		"./usr/share/icons/hicolor/256x256/apps/neurodeskapp.png", "./usr/share/metainfo/org.neurodesk.neurodeskapp.metainfo.xml"} {
		if !strings.Contains(files, want) {
			t.Errorf("the .deb lacks %s", want)
		}
	}
	root := t.TempDir()
	run(t, "dpkg-deb", "-x", deb, root)
	// The command line and the window program, both this version; the
	// command line needs no C library at all (it loads no GTK).
	for _, bin := range []string{"neurodeskapp", "neurodeskapp-window"} {
		if out := run(t, filepath.Join(root, "usr/lib/neurodeskapp", bin), "version"); !strings.HasPrefix(out, "neurodeskapp "+v+" ") {
			t.Errorf("the packaged %s says %q", bin, out)
		}
	}
	if out, _ := exec.Command("ldd", filepath.Join(root, "usr/lib/neurodeskapp/neurodeskapp")).CombinedOutput(); !strings.Contains(string(out), "not a dynamic executable") {
		t.Errorf("the command line links libraries:\n%s", out)
	}
	if _, err := exec.LookPath("desktop-file-validate"); err == nil {
		run(t, "desktop-file-validate", filepath.Join(root, "usr/share/applications/neurodeskapp.desktop"))
	} else {
		t.Fatal("desktop-file-validate is missing (scripts/deps.sh installs desktop-file-utils)")
	}
	// Notebooks open with the app: the file managers' cache, as the
	// package's trigger makes it, names it for .ipynb, and hands it the files.
	apps := filepath.Join(root, "usr/share/applications")
	run(t, "update-desktop-database", apps)
	if cache, err := os.ReadFile(filepath.Join(apps, "mimeinfo.cache")); err != nil || !strings.Contains(string(cache), "application/x-ipynb+json=neurodeskapp.desktop") {
		t.Errorf("notebooks are not the app's: %s %v", cache, err)
	}
	if d, _ := os.ReadFile(filepath.Join(apps, "neurodeskapp.desktop")); !strings.Contains(string(d), "Exec=neurodeskapp %F") {
		t.Errorf("the desktop file does not hand over the files:\n%s", d)
	}
}

func TestRpm(t *testing.T) {
	v, d := packages(t)
	rpm := filepath.Join(d, fmt.Sprintf("neurodeskapp-%s-1.x86_64.rpm", v))
	info := run(t, "rpm", "-qip", rpm)
	for _, want := range []string{"neurodeskapp", v, "x86_64"} {
		if !strings.Contains(info, want) {
			t.Errorf("rpm info lacks %q:\n%s", want, info)
		}
	}
	reqs := run(t, "rpm", "-qpR", rpm)
	for _, want := range []string{"webkit2gtk4.1", "gtk3", "glibc >= 2."} {
		if !strings.Contains(reqs, want) {
			t.Errorf("rpm requires lack %s:\n%s", want, reqs)
		}
	}
	if files := run(t, "rpm", "-qpl", rpm); !strings.Contains(files, "/usr/bin/neurodeskapp") || !strings.Contains(files, "/usr/share/applications/neurodeskapp.desktop") {
		t.Errorf("rpm files:\n%s", files)
	}
	if obs := run(t, "rpm", "-qp", "--obsoletes", rpm); !strings.Contains(obs, "neurodeskapp < 3.0.0") {
		t.Errorf("rpm obsoletes %q", obs)
	}
	if scripts := run(t, "rpm", "-qp", "--scripts", rpm); !strings.Contains(scripts, "posttrans") || !strings.Contains(scripts, "ln -sfn") {
		t.Errorf("rpm scripts do not remake the link at the end of the transaction:\n%s", scripts)
	}
}

func TestWindowsSignatures(t *testing.T) {
	v, d := packages(t)
	cert := filepath.Join(d, "signing", "cert.pem")
	installer := filepath.Join(d, fmt.Sprintf("Neurodesk-%s-windows-amd64-setup.exe", v))
	exe := filepath.Join(t.TempDir(), "neurodeskapp.exe")
	z, err := zip.OpenReader(filepath.Join(d, fmt.Sprintf("neurodeskapp_%s_windows_amd64.zip", v)))
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	rc, err := z.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Create(exe)
	io.Copy(f, rc)
	f.Close()
	rc.Close()
	for _, file := range []string{exe, installer} {
		out := run(t, "osslsigncode", "verify", "-CAfile", cert, "-in", file)
		if !strings.Contains(out, "Signature verification: ok") {
			t.Errorf("%s:\n%s", filepath.Base(file), out)
		}
	}
	// A tampered copy must fail verification: the check can fail.
	b, _ := os.ReadFile(installer)
	b[len(b)/2] ^= 0xff
	bad := filepath.Join(t.TempDir(), "tampered.exe")
	os.WriteFile(bad, b, 0o644)
	if out, err := exec.Command("osslsigncode", "verify", "-CAfile", cert, "-in", bad).CombinedOutput(); err == nil && strings.Contains(string(out), "Signature verification: ok") {
		t.Error("a tampered installer verified")
	}
}

func TestChecksums(t *testing.T) {
	_, d := packages(t)
	b, err := os.ReadFile(filepath.Join(d, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 6 {
		t.Errorf("checksums.txt has %d lines, want 6 (deb, rpm, installer, two update archives, the AppImage)", len(lines))
	}
	for _, l := range lines {
		sum, name, _ := strings.Cut(l, "  ")
		if strings.Contains(name, "/") {
			t.Errorf("%q: a checksum's name must be the asset's, as the updater looks it up", name)
		}
		data, err := os.ReadFile(filepath.Join(d, name))
		if err != nil || fmt.Sprintf("%x", sha256.Sum256(data)) != sum {
			t.Errorf("%s: checksum does not match (%v)", name, err)
		}
	}
}

// TestReleaseRefusesThrowawaySigning: a release run without real signing
// stops before it builds anything, rather than ship self-signed files.
func TestReleaseRefusesThrowawaySigning(t *testing.T) {
	cmd := exec.Command("scripts/package.sh")
	cmd.Dir = testenv.ModuleRoot()
	cmd.Env = append(os.Environ(), "RELEASE=1", "VERSION=9.9.9", "WINDOWS_SIGN=")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "must not ship unsigned") {
		t.Errorf("a release with throwaway signing went on: %v\n%s", err, out)
	}
}
