package packaging

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/neurodesk/neurodeskapp/internal/testenv"
)

// TestAppImageContents: make package builds the AppImage's AppDir and
// squashfs (the AppImage is the runtime followed by it). What the
// runtime mounts starts the app: AppRun runs `version`, the desktop
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

// TestAppImageAssembled: make package makes the .AppImage with AppImage's
// type-2 runtime (built from its source here; the release appends AppImage's
// own build). It runs as a person runs it, mounted through FUSE, and
// extracted where FUSE is missing; the runtime tells the app where the image
// is (APPIMAGE), which is the file the updater replaces; checksums.txt lists
// it, so the updater can verify it.
func TestAppImageAssembled(t *testing.T) {
	v, d := packages(t)
	img := filepath.Join(d, "neurodeskapp_"+v+"_linux_amd64.AppImage")
	runtime := filepath.Join(testenv.ModuleRoot(), "build", "appimage", "runtime")
	if out, _ := exec.Command("ldd", runtime).CombinedOutput(); !strings.Contains(string(out), "not a dynamic executable") {
		t.Errorf("the runtime needs libraries of the host:\n%s", out)
	}
	fi, err := os.Stat(runtime)
	if err != nil {
		t.Fatal(err)
	}
	if off := strings.TrimSpace(run(t, img, "--appimage-offset")); off != strconv.FormatInt(fi.Size(), 10) {
		t.Errorf("the squashfs starts at %s, not right after the %d-byte runtime", off, fi.Size())
	}
	// Mounted: the runtime leaves a FUSE mount while the app runs.
	if out := run(t, img, "version"); !strings.HasPrefix(out, "neurodeskapp "+v+" ") {
		t.Errorf("the AppImage says %q", out)
	}
	cmd := exec.Command(img, "update", "--check", "--json")
	cmd.Env = append(os.Environ(), "NEURODESK_UPDATE_API=http://127.0.0.1:1")
	out, _ := cmd.Output()
	var report struct {
		Install struct{ Kind, Path string }
	}
	if err := json.Unmarshal(lastLine(out), &report); err != nil || report.Install.Kind != "appimage" || report.Install.Path != img {
		t.Errorf("inside the AppImage the updater sees install %+v (%v), want the AppImage at %s:\n%s", report.Install, err, img, out)
	}
	// Without FUSE (containers, some distributions) it extracts and runs.
	cmd = exec.Command(img, "version")
	cmd.Env = append(os.Environ(), "APPIMAGE_EXTRACT_AND_RUN=1")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "neurodeskapp "+v+" ") {
		t.Errorf("extracted, the AppImage says %q (%v)", out, err)
	}
	sums, _ := os.ReadFile(filepath.Join(d, "checksums.txt"))
	if !strings.Contains(string(sums), "  neurodeskapp_"+v+"_linux_amd64.AppImage\n") {
		t.Errorf("checksums.txt does not list the AppImage:\n%s", sums)
	}
}

func lastLine(b []byte) []byte {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return []byte(lines[len(lines)-1])
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
