package packaging

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurodesk/neurodeskapp/internal/testenv"
)

// TestAppImageContents: make package builds the AppImage's AppDir and
// squashfs (the release appends them to AppImage's runtime). What the
// runtime would mount starts the app: AppRun runs `version`, the desktop
// entry validates, the icon is at the top as the format wants.
func TestAppImageContents(t *testing.T) {
	v, _ := packages(t)
	img := filepath.Join(testenv.ModuleRoot(), "build", "appimage", "neurodeskapp.squashfs")
	list := run(t, "unsquashfs", "-l", img)
	for _, f := range []string{"squashfs-root/AppRun", "squashfs-root/usr/bin/neurodeskapp", "squashfs-root/usr/bin/neurodeskapp-window", "squashfs-root/neurodeskapp.desktop",
		"squashfs-root/neurodeskapp.png", "squashfs-root/.DirIcon", "squashfs-root/usr/share/metainfo/org.neurodesk.neurodeskapp.metainfo.xml"} {
		if !strings.Contains(list, f+"\n") {
			t.Errorf("the AppImage lacks %s", f)
		}
	}
	dir := filepath.Join(t.TempDir(), "root")
	run(t, "unsquashfs", "-q", "-d", dir, img)
	run(t, "desktop-file-validate", filepath.Join(dir, "neurodeskapp.desktop"))
	if out := run(t, filepath.Join(dir, "AppRun"), "version"); !strings.Contains(out, v) {
		t.Errorf("AppRun version printed %q, want %s", out, v)
	}
	fi, err := os.Stat(filepath.Join(dir, "usr", "bin", "neurodeskapp"))
	if err != nil || fi.Mode().Perm()&0o111 == 0 {
		t.Errorf("the app in the AppImage is not executable: %v", err)
	}
}

// TestAppImageAssembled: with a runtime given (the release's, a stand-in
// here), make package makes the .AppImage, it runs, and checksums.txt
// lists it, so the updater can verify it.
func TestAppImageAssembled(t *testing.T) {
	v, d := packages(t)
	img := filepath.Join(d, "neurodeskapp_"+v+"_linux_amd64.AppImage")
	if out := run(t, img, "version"); !strings.HasPrefix(out, "neurodeskapp "+v+" ") {
		t.Errorf("the AppImage says %q", out)
	}
	sums, _ := os.ReadFile(filepath.Join(d, "checksums.txt"))
	if !strings.Contains(string(sums), "  neurodeskapp_"+v+"_linux_amd64.AppImage\n") {
		t.Errorf("checksums.txt does not list the AppImage:\n%s", sums)
	}
}

// TestPlainBinaryIsTheWholeApp: the .tar.gz that the updater downloads for
// a plain-binary install holds one file, neurodeskapp, the full build (the
// window and the commands), as the updater expects to replace it.
func TestPlainBinaryIsTheWholeApp(t *testing.T) {
	v, d := packages(t)
	tgz := filepath.Join(d, "neurodeskapp_"+v+"_linux_amd64.tar.gz")
	if list := run(t, "tar", "-tzf", tgz); list != "neurodeskapp\n" {
		t.Fatalf("the archive holds %q, want only neurodeskapp", list)
	}
	dir := t.TempDir()
	run(t, "tar", "-xzf", tgz, "-C", dir)
	bin := filepath.Join(dir, "neurodeskapp")
	if out := run(t, bin, "version"); !strings.HasPrefix(out, "neurodeskapp "+v+" ") {
		t.Errorf("it says %q", out)
	}
	if libs := run(t, "ldd", bin); !strings.Contains(libs, "libwebkit2gtk-4.1") {
		t.Error("the plain binary is not the window build")
	}
}
