package packaging

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurodesk/neurodeskapp/internal/testenv"
)

// electronDeb builds a stand-in for the Neurodesk App 1.x package as
// electron-builder lays it out: the app under /opt/NeurodeskApp, and
// /usr/bin/neurodeskapp made by its after-install script through
// update-alternatives and deleted by its after-remove script.
func electronDeb(t *testing.T) string {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("neurodeskapp", "#!/bin/sh\necho NeurodeskApp 2.5.0\n", 0o755)
	write("after-install.sh", `#!/bin/bash
if type update-alternatives 2>/dev/null >&1; then
    update-alternatives --install '/usr/bin/neurodeskapp' 'neurodeskapp' '/opt/NeurodeskApp/neurodeskapp' 100 || ln -sf '/opt/NeurodeskApp/neurodeskapp' '/usr/bin/neurodeskapp'
else
    ln -sf '/opt/NeurodeskApp/neurodeskapp' '/usr/bin/neurodeskapp'
fi
`, 0o755)
	write("after-remove.sh", `#!/bin/bash
if type update-alternatives >/dev/null 2>&1; then
    update-alternatives --remove 'neurodeskapp' '/usr/bin/neurodeskapp'
else
    rm -f '/usr/bin/neurodeskapp'
fi
`, 0o755)
	write("nfpm.yaml", fmt.Sprintf(`name: neurodeskapp
arch: amd64
platform: linux
version: 2.5.0
maintainer: test
description: The Neurodesk App 1.x, as electron-builder packs it
contents:
  - src: %[1]s/neurodeskapp
    dst: /opt/NeurodeskApp/neurodeskapp
    file_info: {mode: 0755}
scripts:
  postinstall: %[1]s/after-install.sh
  postremove: %[1]s/after-remove.sh
`, dir), 0o644)
	cmd := exec.Command("go", "tool", "nfpm", "package", "--config", filepath.Join(dir, "nfpm.yaml"), "--packager", "deb", "--target", dir)
	cmd.Dir = testenv.ModuleRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the 1.x stand-in: %v\n%s", err, out)
	}
	return filepath.Join(dir, "neurodeskapp_2.5.0_amd64.deb")
}

// TestDebUpgradesTheElectronApp installs the 1.x stand-in with dpkg, then
// this .deb over it, on this machine: an upgrade, after which
// neurodeskapp is this app and 1.x's files are gone.
func TestDebUpgradesTheElectronApp(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("installing packages needs root (CI runs as root)")
	}
	if out, err := exec.Command("dpkg-query", "-W", "-f=${Status} ${Version}", "neurodeskapp").CombinedOutput(); err == nil && strings.Contains(string(out), "installed") {
		t.Fatalf("a neurodeskapp package is already installed here (%s); this test would replace it", out)
	}
	v, d := packages(t)
	t.Cleanup(func() { exec.Command("dpkg", "--purge", "neurodeskapp").Run() })
	run(t, "dpkg", "-i", electronDeb(t))
	if out := run(t, "/usr/bin/neurodeskapp"); !strings.Contains(out, "NeurodeskApp 2.5.0") {
		t.Fatalf("the 1.x stand-in did not install: %q", out)
	}
	run(t, "dpkg", "-i", filepath.Join(d, fmt.Sprintf("neurodeskapp_%s_amd64.deb", v)))
	if status := run(t, "dpkg-query", "-W", "-f=${Version}", "neurodeskapp"); status != v {
		t.Errorf("installed version %q, want %s", status, v)
	}
	if out := run(t, "/usr/bin/neurodeskapp", "version"); !strings.HasPrefix(out, "neurodeskapp "+v+" ") {
		t.Errorf("after the upgrade neurodeskapp says %q", out)
	}
	if _, err := os.Stat("/opt/NeurodeskApp/neurodeskapp"); err == nil {
		t.Error("1.x's files are still there")
	}
	run(t, "dpkg", "--purge", "neurodeskapp")
	if _, err := os.Lstat("/usr/bin/neurodeskapp"); err == nil {
		t.Error("/usr/bin/neurodeskapp is left after removal")
	}
}
