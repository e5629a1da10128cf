// Package windows runs the app's Windows builds under Wine 10 (Debian 13's,
// in the image test/wine/build-image.sh makes): the unit tests of every
// package, compiled for Windows, and the Windows command line. WebView2
// cannot run under Wine; the window's hooks are checked against Wails'
// types by app/webview's own tests, which run here too.
package windows

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/neurodesk/neurodeskapp/internal/testenv"
)

// wineImage builds (or finds, by its script's hash) the Wine image once
// for the whole test binary.
var wineImage = sync.OnceValues(func() (string, error) {
	out, err := exec.Command(filepath.Join(testenv.ModuleRoot(), "test", "wine", "build-image.sh")).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return "", fmt.Errorf("build the Wine image: %v\n%s", err, ee.Stderr)
		}
		return "", fmt.Errorf("build the Wine image: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
})

// wine is a Windows machine: a fresh container of the Wine image with the
// repository at Z:\src (read-only) and dir at Z:\w.
type wine struct {
	t     *testing.T
	image string
	dir   string
}

func newWine(t *testing.T) *wine {
	t.Helper()
	testenv.Docker(t)
	img, err := wineImage()
	if err != nil {
		t.Fatal(err)
	}
	return &wine{t: t, image: img, dir: t.TempDir()}
}

// run runs a Windows program (a path under /w or /src) in dir (a Linux
// path inside the container), with env as KEY=VALUE.
func (w *wine) run(ctx context.Context, dir string, env []string, prog string, args ...string) (stdout, stderr string, code int) {
	w.t.Helper()
	a := []string{"run", "--rm", "--network", "host", "-v", testenv.ModuleRoot() + ":/src:ro", "-v", w.dir + ":/w", "-w", dir}
	for _, e := range env {
		a = append(a, "-e", e)
	}
	a = append(a, w.image)
	if prog != "sh" {
		a = append(a, "wine")
	}
	a = append(a, prog)
	var o, e bytes.Buffer
	cmd := exec.CommandContext(ctx, "docker", append(a, args...)...)
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatalf("run %s under Wine: %v", prog, err)
	}
	return o.String(), wineNoise(e.String()), code
}

// wineNoise drops what Wine itself says on every start without a desktop
// session, which is not the program's.
func wineNoise(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.Contains(l, "XDG_RUNTIME_DIR is invalid") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// goBuild runs go with GOOS=windows in the repository.
func goBuild(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = testenv.ModuleRoot()
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestUnitTestsOnWindows: every package of the app, its tests compiled for
// Windows and run under Wine in the package's folder, as go test would.
func TestUnitTestsOnWindows(t *testing.T) {
	w := newWine(t)
	cmd := exec.Command("go", "list", "-f", "{{if .TestGoFiles}}{{.ImportPath}}{{end}}", "./app/...")
	cmd.Dir = testenv.ModuleRoot()
	list, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	// app/update's tests run builds of its fake app; there is no Go under Wine.
	for _, v := range []string{"1.0.0", "1.2.0"} {
		goBuild(t, "build", "-ldflags", "-X main.version="+v, "-o", filepath.Join(w.dir, "fakeapp-"+v+".exe"), "./app/update/testdata/fakeapp")
	}
	env := []string{"LANG=C.UTF-8", `NEURODESK_TEST_FAKEAPP=Z:\w`} // UTF-8: Wine's file names take any character then
	const module = "github.com/neurodesk/neurodeskapp/"
	for _, pkg := range strings.Fields(string(list)) {
		rel := strings.TrimPrefix(pkg, module)
		t.Run(rel, func(t *testing.T) {
			exe := strings.ReplaceAll(rel, "/", "-") + ".test.exe"
			goBuild(t, "test", "-c", "-o", filepath.Join(w.dir, exe), "./"+rel)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			out, errs, code := w.run(ctx, "/src/"+rel, env, "/w/"+exe, "-test.v", "-test.count=1", "-test.timeout=4m")
			if code != 0 {
				t.Errorf("%s under Wine: exit %d\n%s\n%s", rel, code, failures(out), errs)
			}
			t.Logf("under Wine: %d passed, %d skipped", strings.Count(out, "--- PASS"), strings.Count(out, "--- SKIP"))
			if skips := skipped(out); skips != "" {
				t.Logf("skipped under Wine:\n%s", skips)
			}
		})
	}
}

// failures is go test -v output without the lines of passing tests and
// the log lines of the app: what says why a test failed.
func failures(out string) string {
	var b strings.Builder
	for _, l := range strings.Split(out, "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- PASS") || strings.HasPrefix(t, "--- SKIP") || regexp.MustCompile(`^\d{4}/\d\d/\d\d `).MatchString(t) {
			continue
		}
		b.WriteString(l + "\n")
	}
	return b.String()
}

func skipped(out string) string {
	var b strings.Builder
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.Contains(l, "--- SKIP") {
			b.WriteString(l + "\n")
			if i+1 < len(lines) {
				b.WriteString(lines[i+1] + "\n")
			}
		}
	}
	return b.String()
}

// TestCLIOnWindows: the Windows build of the app, as the release makes it
// (a GUI program, -H windowsgui), answers on the command line: version,
// help, and status and versions against this machine's Docker engine
// reached over loopback TCP, as Docker Desktop's "expose the daemon" or a
// remote engine is; its files land in %LOCALAPPDATA%\neurodeskapp.
func TestCLIOnWindows(t *testing.T) {
	w := newWine(t)
	goBuild(t, "build", "-trimpath", "-tags", "desktop,production", "-ldflags", "-H windowsgui -X github.com/neurodesk/neurodeskapp/app/buildinfo.Version=3.0.1",
		"-o", filepath.Join(w.dir, "neurodeskapp.exe"), ".")
	engine := engineOverTCP(t)
	manifest := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(rw, "jupyter_neurodesk_version = \"2026-11-30\"\n")
	}))
	t.Cleanup(manifest.Close)
	env := []string{"LANG=C.UTF-8", "DOCKER_HOST=tcp://" + engine, "NEURODESK_MANIFEST_URL=" + manifest.URL, "NEURODESK_RELEASES_URL=http://127.0.0.1:1/releases",
		fmt.Sprintf("NEURODESKAPP_INSTANCE=wine%d", time.Now().UnixNano()%1e9)}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// One Windows session for all of it: the later commands find what the
	// first wrote, as on a person's machine.
	script := `set -u
wine /w/neurodeskapp.exe version; echo "exit=$?"
wine /w/neurodeskapp.exe help; echo "exit=$?"
wine /w/neurodeskapp.exe status --json; echo "exit=$?"
wine /w/neurodeskapp.exe versions --json; echo "exit=$?"
wine /w/neurodeskapp.exe frobnicate; echo "exit=$?"
cd /wine/drive_c/users/root/AppData && find . -path '*neurodeskapp*' -type f | sort`
	out, errs, code := w.shell(ctx, env, script)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{
		"neurodeskapp 3.0.1 (",
		"windows/amd64",
		"Usage: neurodeskapp <command>",
		`"engine":{"kind":"Docker Engine"`, `"source":"DOCKER_HOST"`, `"running":false`,
		`"current":{"tag":"2026-11-30","origin":"remote"`,
		`./Local/neurodeskapp/neurodeskapp.log`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the Windows command line did not say %q:\n%s\n%s", want, out, errs)
		}
	}
	if got := regexp.MustCompile(`exit=\d+`).FindAllString(out, -1); !slices.Equal(got, []string{"exit=0", "exit=0", "exit=3", "exit=0", "exit=2"}) {
		t.Errorf("exit codes %v, want 0 for version, help and versions, 3 (no session) for status, 2 for an unknown command:\n%s\n%s", got, out, errs)
	}
}

// shell runs a sh script in a fresh container of the Wine image.
func (w *wine) shell(ctx context.Context, env []string, script string) (stdout, stderr string, code int) {
	w.t.Helper()
	return w.run(ctx, "/w", env, "sh", "-c", script)
}

// engineOverTCP serves this machine's Docker socket on a loopback TCP
// port for as long as the test runs, and returns host:port.
func engineOverTCP(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	sock := "/var/run/docker.sock"
	if h, ok := strings.CutPrefix(os.Getenv("DOCKER_HOST"), "unix://"); ok {
		sock = h
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				d, err := net.Dial("unix", sock)
				if err != nil {
					return
				}
				defer d.Close()
				go io.Copy(d, c) //nolint:errcheck // ends with the connection
				io.Copy(c, d)    //nolint:errcheck // ends with the connection
			}()
		}
	}()
	return l.Addr().String()
}

// TestInstallerOnWindows: the NSIS installer as make package builds it,
// run silently as a person without administrator rights would, over the
// Electron app 1.15 (whose silent uninstaller it runs first): it
// installs under %LOCALAPPDATA%\Programs\Neurodesk with a Start menu
// shortcut, an "Installed apps" entry and notebooks (.ipynb) opening with it; a newer installer over it
// upgrades in place and keeps the settings; the uninstaller removes the
// app, its shortcut and its entry, and keeps the settings and the data
// (the settings, logs and caches too when asked, with /PURGE).
func TestInstallerOnWindows(t *testing.T) {
	w := newWine(t)
	for _, v := range []string{"3.0.0", "3.0.1"} {
		exe := filepath.Join(w.dir, "neurodeskapp-"+v+".exe")
		goBuild(t, "build", "-trimpath", "-tags", "desktop,production", "-ldflags", "-H windowsgui -X github.com/neurodesk/neurodeskapp/app/buildinfo.Version="+v, "-o", exe, ".")
		cmd := exec.Command("makensis", "-V2", "-DVERSION="+v, "-DEXE="+exe, "-DOUT="+filepath.Join(w.dir, "setup-"+v+".exe"), "project.nsi")
		cmd.Dir = filepath.Join(testenv.ModuleRoot(), "build", "windows", "installer")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("makensis %s: %v\n%s", v, err, out)
		}
	}
	goBuild(t, "build", "-o", filepath.Join(w.dir, "olduninstall.exe"), "./test/windows/testdata/olduninstall")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// Each step prints what a person (or Windows) would see afterwards.
	script := `set -u
U='C:\users\root'
key='HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\cb534ed1-381a-53a0-8209-d2d9f455bef5'
app=/wine/drive_c/users/root/AppData/Local/Programs/Neurodesk
lnk='/wine/drive_c/users/root/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Neurodesk.lnk'
settings=/wine/drive_c/users/root/AppData/Local/neurodeskapp/settings.toml
data=/wine/drive_c/neurodesktop-storage
# One wineserver for the whole script: a server left to exit on its own
# between two steps can drop the next step's connection.
wineserver -p
# The uninstaller runs on from a copy of itself (Au_.exe) in the temp
# folder: wait for that copy to end.
uninstalled() {
  i=0
  while grep -qs 'Au_' /proc/[0-9]*/cmdline && [ $i -lt 300 ]; do sleep 0.2; i=$((i+1)); done
}
state() {
  echo "== $1"
  ls "$app" 2>/dev/null | sed 's/^/file: /'
  [ -e "$lnk" ] && echo "shortcut: yes" || echo "shortcut: no"
  wine reg query "$key" 2>/dev/null | tr -d '\r' | grep -E 'DisplayName|DisplayVersion|InstallLocation|QuietUninstallString|EstimatedSize' | sed -E 's/^ +/reg: /; s/ {2,}/ /g'
  # What Explorer runs for a notebook: the user's .ipynb and its program's
  # command (Windows merges them into HKCR; Wine's reg does not show that).
  wine reg query 'HKCU\Software\Classes\.ipynb' /ve 2>/dev/null | tr -d '\r' | grep -o 'Neurodesk.ipynb' | sed 's/^/ipynb: /'
  wine reg query 'HKCU\Software\Classes\Neurodesk.ipynb\shell\open\command' /ve 2>/dev/null | tr -d '\r' | grep -o '"C:.*' | sed 's/^/open: /'
  [ -x "$app/neurodeskapp.exe" ] && wine "$app/neurodeskapp.exe" version
  echo "settings: $(cat "$settings" 2>/dev/null || echo gone)"
  echo "data: $(cat "$data/analysis.txt" 2>/dev/null || echo gone)"
}
mkdir -p "$(dirname "$settings")" "$data"
echo 'on_quit = "keep"' > "$settings"
echo 'a day of work' > "$data/analysis.txt"
# The Electron app 1.15 as electron-builder installs it per user: its files
# and its entry under the same key, with its own silent uninstaller.
old=/wine/drive_c/users/root/AppData/Local/Programs/neurodeskapp
mkdir -p "$old" && cp /w/olduninstall.exe "$old/Uninstall NeurodeskApp.exe" && echo electron > "$old/NeurodeskApp.exe"
wine reg add "$key" /v DisplayName /d "NeurodeskApp 1.15.0" /f >/dev/null 2>&1
wine reg add "$key" /v QuietUninstallString /d "\"$U\AppData\Local\Programs\neurodeskapp\Uninstall NeurodeskApp.exe\" /currentuser /S" /f >/dev/null 2>&1
wine /w/setup-3.0.0.exe /S; echo "install exit=$?"
echo "old uninstaller: $(cat /wine/drive_c/old-uninstalled.txt 2>/dev/null || echo not run)"
[ -e "$old/NeurodeskApp.exe" ] && echo "old app: still there" || echo "old app: gone"
state installed
wine /w/setup-3.0.1.exe /S; echo "upgrade exit=$?"
state upgraded
wine "$app/uninstall.exe" /S; echo "uninstall exit=$?"
uninstalled
state uninstalled
wine /w/setup-3.0.1.exe /S && wine "$app/neurodeskapp.exe" status >/dev/null 2>&1
wine "$app/uninstall.exe" /S /PURGE; echo "purge exit=$?"
uninstalled
state purged
ls /wine/drive_c/users/root/AppData/Local | sed 's/^/local: /'`
	out, errs, code := w.shell(ctx, nil, script)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	steps := map[string]string{}
	for _, part := range strings.Split(out, "== ")[1:] {
		name, body, _ := strings.Cut(part, "\n")
		steps[name] = body
	}
	for step, want := range map[string][]string{
		"installed": {"file: neurodeskapp.exe", "file: uninstall.exe", "shortcut: yes", "reg: DisplayName REG_SZ Neurodesk", "reg: DisplayVersion REG_SZ 3.0.0",
			`reg: QuietUninstallString REG_SZ "C:\users\root\AppData\Local\Programs\Neurodesk\uninstall.exe" /S`, "reg: EstimatedSize REG_DWORD 0x", "neurodeskapp 3.0.0 (",
			"ipynb: Neurodesk.ipynb", `open: "C:\users\root\AppData\Local\Programs\Neurodesk\neurodeskapp.exe" "%1"`,
			`settings: on_quit = "keep"`, "data: a day of work"},
		"upgraded":    {"file: neurodeskapp.exe", "shortcut: yes", "reg: DisplayVersion REG_SZ 3.0.1", "neurodeskapp 3.0.1 (", `settings: on_quit = "keep"`, "data: a day of work"},
		"uninstalled": {"shortcut: no", `settings: on_quit = "keep"`, "data: a day of work"},
		"purged":      {"shortcut: no", "settings: gone", "data: a day of work"},
	} {
		for _, s := range want {
			if !strings.Contains(steps[step], s) {
				t.Errorf("%s: missing %q in\n%s", step, s, steps[step])
			}
		}
	}
	for _, step := range []string{"uninstalled", "purged"} {
		if u := steps[step]; strings.Contains(u, "file: ") || strings.Contains(u, "reg: ") || strings.Contains(u, "ipynb: ") || strings.Contains(u, "open: ") {
			t.Errorf("the uninstaller left the app, its entry or its notebooks:\n%s", u)
		}
	}
	if strings.Contains(steps["purged"], "local: neurodeskapp") {
		t.Errorf("/PURGE left the app's folder:\n%s", steps["purged"])
	}
	// Over the Electron app: its own uninstaller ran, silently, and its
	// entry in "Installed apps" is now this app's.
	for _, e := range []string{"old uninstaller: /currentuser /S", "old app: gone"} {
		if !strings.Contains(out, e) {
			t.Errorf("installing over the 1.x app: want %q:\n%s", e, out)
		}
	}
	for _, e := range []string{"install exit=0", "upgrade exit=0", "uninstall exit=0", "purge exit=0"} {
		if !strings.Contains(out, e) {
			t.Errorf("want %s:\n%s\n%s", e, out, errs)
		}
	}
}
