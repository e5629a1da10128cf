package update

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/internal/fakegithub"
)

type asset = fakegithub.Asset

func fakeGitHub(t *testing.T, tag string, assets []asset) string {
	srv := fakegithub.New("NeuroDesk/neurodesk-app", tag, "Faster pulls.", assets)
	t.Cleanup(srv.Close)
	return srv.APIBase()
}

// buildFake builds testdata/fakeapp as version into dir. Where there is no
// Go (the tests compiled for Windows and run under Wine) it copies
// fakeapp-VERSION.exe from $NEURODESK_TEST_FAKEAPP, built beforehand.
func buildFake(t *testing.T, dir, version string) string {
	t.Helper()
	out := filepath.Join(dir, "neurodeskapp")
	if runtime.GOOS == "windows" {
		out += ".exe"
	}
	if pre := os.Getenv("NEURODESK_TEST_FAKEAPP"); pre != "" {
		b, err := os.ReadFile(filepath.Join(pre, "fakeapp-"+version+".exe"))
		if err == nil {
			err = os.WriteFile(out, b, 0o755)
		}
		if err != nil {
			t.Fatalf("the prebuilt fake app %s: %v", version, err)
		}
		return out
	}
	cmd := exec.Command("go", "build", "-ldflags", "-X main.version="+version, "-o", out, "./testdata/fakeapp")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build fake app: %v\n%s", err, b)
	}
	return out
}

func targz(_ *testing.T, name string, data []byte) []byte { return fakegithub.TarGz(name, data) }

func keypair(*testing.T) (*fakegithub.Signer, []byte) {
	k := fakegithub.NewSigner()
	return k, k.PublicKeyPEM()
}

func sign(_ *testing.T, k *fakegithub.Signer, data []byte) []byte { return k.SignData(data) }

// linuxBinary is the install these tests update unless they say otherwise.
var linuxBinary = Install{Kind: KindBinary, Path: "/home/ana/bin/neurodeskapp"}

// realisticAssets is every file a release carries, as make package and the
// release workflow name them, with the Linux archive given by archive.
func realisticAssets(version string, archive []byte) []asset {
	var as []asset
	for _, n := range []string{
		"neurodeskapp_%s_amd64.deb", "neurodeskapp_%s_arm64.deb", "neurodeskapp-%s-1.x86_64.rpm",
		"neurodeskapp_%s_linux_amd64.AppImage", "Neurodesk-%s-windows-amd64-setup.exe",
		"neurodeskapp_%s_windows_amd64.zip", "Neurodesk-%s-macos-arm64.dmg", "neurodeskapp_%s_darwin_arm64.zip",
		"neurodeskapp_%s_darwin_amd64.zip", "neurodeskapp_%s_linux_arm64.tar.gz",
	} {
		as = append(as, asset{Name: fmt.Sprintf(n, version), Data: []byte("not this platform's file: " + n)})
	}
	return append(as, asset{Name: fmt.Sprintf("neurodeskapp_%s_linux_amd64.tar.gz", version), Data: archive})
}

// signedRelease adds checksums.txt over all assets and its signature.
func signedRelease(_ *testing.T, key *fakegithub.Signer, assets []asset) []asset {
	return key.Sign(assets)
}

// release is a v1.2.0 release of the fake app for linux/amd64, with every
// other platform's files listed first, checksums.txt and its signature;
// tamper may change anything before it is served.
func release(t *testing.T, key *fakegithub.Signer, tamper func(archive, sums, sig *[]byte)) string {
	t.Helper()
	bin, err := os.ReadFile(buildFake(t, t.TempDir(), "1.2.0"))
	if err != nil {
		t.Fatal(err)
	}
	assets := signedRelease(t, key, realisticAssets("1.2.0", targz(t, "neurodeskapp", bin)))
	n := len(assets)
	archive, sums, sig := &assets[n-3].Data, &assets[n-2].Data, &assets[n-1].Data
	if tamper != nil {
		tamper(archive, sums, sig)
	}
	return fakeGitHub(t, "v1.2.0", assets)
}

func updater(t *testing.T, api string, pub []byte) *Updater {
	u, err := New(Config{APIBaseURL: api, PublicKey: pub, OS: "linux", Arch: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestCheckOffersOnlyNewer(t *testing.T) {
	key, pub := keypair(t)
	u := updater(t, release(t, key, nil), pub)
	for current, want := range map[string]bool{"1.0.0": true, "1.1.9": true, "v1.1.9": true, "1.2.0": false, "1.3.0": false} {
		r, found, err := u.Check(t.Context(), current, linuxBinary)
		if err != nil || found != want {
			t.Errorf("current %s: found=%v err=%v, want %v", current, found, err, want)
		}
		if found && (r.Version != "1.2.0" || r.Notes != "Faster pulls." || r.AssetName != "neurodeskapp_1.2.0_linux_amd64.tar.gz") {
			t.Errorf("release %+v", r)
		}
	}
}

// TestCheckPicksThisInstallsAsset: whatever order the release lists its
// files in, each install kind is offered exactly its own file.
func TestCheckPicksThisInstallsAsset(t *testing.T) {
	key, pub := keypair(t)
	assets := signedRelease(t, key, realisticAssets("2.0.0", []byte("linux archive")))
	cases := []struct {
		os, arch string
		inst     Install
		want     string
	}{
		{"linux", "amd64", linuxBinary, "neurodeskapp_2.0.0_linux_amd64.tar.gz"},
		{"linux", "arm64", linuxBinary, "neurodeskapp_2.0.0_linux_arm64.tar.gz"},
		{"linux", "amd64", Install{Kind: KindAppImage, Path: "/home/ana/Neurodesk.AppImage"}, "neurodeskapp_2.0.0_linux_amd64.AppImage"},
		{"linux", "amd64", Install{Kind: KindPackage, Path: "/usr/bin/neurodeskapp", Package: PackageDeb}, "neurodeskapp_2.0.0_amd64.deb"},
		{"linux", "amd64", Install{Kind: KindPackage, Path: "/usr/bin/neurodeskapp", Package: PackageRPM}, "neurodeskapp-2.0.0-1.x86_64.rpm"},
		{"windows", "amd64", Install{Kind: KindWindowsUser, Path: `C:\x\neurodeskapp.exe`}, "neurodeskapp_2.0.0_windows_amd64.zip"},
		{"darwin", "arm64", Install{Kind: KindMacBundle, Path: "/Applications/Neurodesk.app"}, "neurodeskapp_2.0.0_darwin_arm64.zip"},
		{"darwin", "amd64", Install{Kind: KindMacBundle, Path: "/Applications/Neurodesk.app"}, "neurodeskapp_2.0.0_darwin_amd64.zip"},
		{"darwin", "arm64", Install{Kind: KindBinary, Path: "/usr/local/bin/neurodeskapp"}, ""},
		{"windows", "arm64", Install{Kind: KindWindowsUser, Path: `C:\x\neurodeskapp.exe`}, ""},
	}
	orders := map[string]func([]asset) []asset{
		"as made":  func(a []asset) []asset { return a },
		"reversed": func(a []asset) []asset { b := slices.Clone(a); slices.Reverse(b); return b },
		"by name": func(a []asset) []asset {
			b := slices.Clone(a)
			slices.SortFunc(b, func(x, y asset) int { return strings.Compare(x.Name, y.Name) })
			return b
		},
	}
	for order, arrange := range orders {
		api := fakeGitHub(t, "v2.0.0", arrange(assets))
		for _, c := range cases {
			u, err := New(Config{APIBaseURL: api, PublicKey: pub, OS: c.os, Arch: c.arch})
			if err != nil {
				t.Fatal(err)
			}
			r, found, err := u.Check(t.Context(), "1.0.0", c.inst)
			if err != nil || found != (c.want != "") || r.AssetName != c.want {
				t.Errorf("%s, %s/%s %s: offered %q (found=%v, err=%v), want %q", order, c.os, c.arch, c.inst.Kind, r.AssetName, found, err, c.want)
			}
		}
	}
}

// TestCheckNeedsTheVersionInTheName: a release whose files carry another
// version (an old signed build re-published under a higher tag) and a
// release without this platform's file offer nothing.
func TestCheckNeedsTheVersionInTheName(t *testing.T) {
	key, pub := keypair(t)
	old := signedRelease(t, key, realisticAssets("1.1.0", []byte("old build")))
	noLinux := signedRelease(t, key, []asset{{Name: "neurodeskapp_3.1.0_windows_amd64.zip", Data: []byte("w")}})
	srv := fakegithub.NewReleases("NeuroDesk/neurodesk-app", []fakegithub.Release{
		{Tag: "v3.1.0", Assets: noLinux}, {Tag: "v3.0.0", Assets: old},
		{Tag: "v9.0.0", Draft: true, Assets: signedRelease(t, key, realisticAssets("9.0.0", nil))},
		{Tag: "v8.0.0-rc1", Prerelease: true, Assets: signedRelease(t, key, realisticAssets("8.0.0-rc1", nil))},
		{Tag: "nightly", Assets: signedRelease(t, key, realisticAssets("nightly", nil))},
	})
	t.Cleanup(srv.Close)
	u := updater(t, srv.APIBase(), pub)
	if r, found, err := u.Check(t.Context(), "1.0.0", linuxBinary); found || err != nil {
		t.Errorf("offered %+v (err %v); want nothing", r, err)
	}
}

func TestCheckPicksNewestWithTheAsset(t *testing.T) {
	key, pub := keypair(t)
	srv := fakegithub.NewReleases("NeuroDesk/neurodesk-app", []fakegithub.Release{
		{Tag: "v1.5.0", Assets: signedRelease(t, key, realisticAssets("1.5.0", []byte("a")))},
		{Tag: "v1.10.0", Assets: signedRelease(t, key, realisticAssets("1.10.0", []byte("b")))},
		{Tag: "v1.9.0", Assets: signedRelease(t, key, realisticAssets("1.9.0", []byte("c")))},
	})
	t.Cleanup(srv.Close)
	r, found, err := updater(t, srv.APIBase(), pub).Check(t.Context(), "1.0.0", linuxBinary)
	if err != nil || !found || r.Version != "1.10.0" {
		t.Errorf("offered %+v (found=%v err=%v), want 1.10.0", r, found, err)
	}
}

func TestDevBuildsAreNotUpdated(t *testing.T) {
	_, pub := keypair(t)
	u := updater(t, "http://127.0.0.1:1/", pub) // never asked
	for _, v := range []string{"0.0.0-dev", "dev", "", "1.2", "garbage"} {
		_, found, err := u.Check(t.Context(), v, linuxBinary)
		if found || problem.CodeOf(err) != problem.UpdatesOff || !strings.Contains(err.Error(), "development builds") {
			t.Errorf("current %q: found=%v err=%v", v, found, err)
		}
	}
}

func TestGoodUpdateReplacesBinary(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("a Linux binary install; Windows' own is TestWindowsInstallUpdatedWhileRunning")
	}
	key, pub := keypair(t)
	u := updater(t, release(t, key, nil), pub)
	exe := buildFake(t, t.TempDir(), "1.0.0")
	r, found, err := u.Check(t.Context(), "1.0.0", linuxBinary)
	if err != nil || !found {
		t.Fatal(found, err)
	}
	var last int64
	data, err := u.Download(t.Context(), r, func(done, total int64) { last = done })
	if err != nil {
		t.Fatal(err)
	}
	if last != int64(len(data)) {
		t.Errorf("progress ended at %d of %d", last, len(data))
	}
	if err := u.Apply(r, data, Install{Kind: KindBinary, Path: exe}); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(exe).Output()
	if err != nil || strings.TrimSpace(string(out)) != "neurodeskapp 1.2.0" {
		t.Errorf("updated binary says %q (%v)", out, err)
	}
}

func TestRejectedDownloadsChangeNothing(t *testing.T) {
	key, pub := keypair(t)
	other, _ := keypair(t)
	for name, tamper := range map[string]func(archive, sums, sig *[]byte){
		"tampered asset": func(a, _, _ *[]byte) { (*a)[len(*a)/2] ^= 0xff },
		"wrong checksum": func(a, s, g *[]byte) {
			*s = bytes.Replace(*s, []byte(fmt.Sprintf("%x", sha256.Sum256(*a))), bytes.Repeat([]byte("0"), 64), 1)
			*g = sign(t, key, *s) // correctly signed, wrong content
		},
		"bad signature":     func(_, s, g *[]byte) { *g = sign(t, other, *s) },
		"garbage signature": func(_, _, g *[]byte) { *g = []byte("not a signature") },
	} {
		t.Run(name, func(t *testing.T) {
			u := updater(t, release(t, key, tamper), pub)
			exe := buildFake(t, t.TempDir(), "1.0.0")
			before, _ := os.ReadFile(exe)
			r, found, err := u.Check(t.Context(), "1.0.0", linuxBinary)
			if err != nil || !found {
				t.Fatal(found, err)
			}
			data, err := u.Download(t.Context(), r, nil)
			if problem.CodeOf(err) != problem.UpdateRejected || data != nil {
				t.Fatalf("download: %v (code %s)", err, problem.CodeOf(err))
			}
			after, _ := os.ReadFile(exe)
			if !bytes.Equal(before, after) {
				t.Error("the binary changed")
			}
		})
	}
}

func TestReleaseWithoutChecksumsIsNotOffered(t *testing.T) {
	_, pub := keypair(t)
	u := updater(t, fakeGitHub(t, "v1.2.0", realisticAssets("1.2.0", targz(t, "neurodeskapp", []byte("x")))), pub)
	if _, found, err := u.Check(t.Context(), "1.0.0", linuxBinary); found || err != nil {
		t.Errorf("an unsigned release was offered (found=%v err=%v)", found, err)
	}
}

func TestDetectInstall(t *testing.T) {
	env := func(goos string, vars map[string]string, owner string) Env {
		return Env{GOOS: goos, Getenv: func(k string) string { return vars[k] }, Owner: func(string) string { return owner }}
	}
	tests := []struct {
		exe  string
		env  Env
		want Install
	}{
		{"/Applications/Neurodesk.app/Contents/MacOS/neurodeskapp", env("darwin", nil, ""), Install{Kind: KindMacBundle, Path: "/Applications/Neurodesk.app"}},
		// Opened from the mounted .dmg, or translocated out of Downloads.
		{"/Volumes/Neurodesk 3.0.0/Neurodesk.app/Contents/MacOS/neurodeskapp", env("darwin", nil, ""), Install{Kind: KindMacReadOnly, Path: "/Volumes/Neurodesk 3.0.0/Neurodesk.app"}},
		{"/private/var/folders/x1/T/AppTranslocation/5A1E/d/Neurodesk.app/Contents/MacOS/neurodeskapp", env("darwin", nil, ""), Install{Kind: KindMacReadOnly, Path: "/private/var/folders/x1/T/AppTranslocation/5A1E/d/Neurodesk.app"}},
		{`C:\Users\ana\AppData\Local\Programs\Neurodesk\neurodeskapp.exe`, env("windows", map[string]string{"LOCALAPPDATA": `C:\Users\ana\AppData\Local`}, ""), Install{Kind: KindWindowsUser, Path: `C:\Users\ana\AppData\Local\Programs\Neurodesk\neurodeskapp.exe`}},
		{"/tmp/.mount_Neuro/usr/bin/neurodeskapp", env("linux", map[string]string{"APPIMAGE": "/home/ana/Neurodesk.AppImage", "APPDIR": "/tmp/.mount_Neuro"}, ""), Install{Kind: KindAppImage, Path: "/home/ana/Neurodesk.AppImage"}},
		// Started from a terminal inside another AppImage app: its
		// APPIMAGE is not ours, and Update must not overwrite it.
		{"/home/ana/bin/neurodeskapp", env("linux", map[string]string{"APPIMAGE": "/home/ana/Other.AppImage", "APPDIR": "/tmp/.mount_Other"}, ""), Install{Kind: KindBinary, Path: "/home/ana/bin/neurodeskapp"}},
		{"/tmp/.mount_Other2/usr/bin/neurodeskapp", env("linux", map[string]string{"APPIMAGE": "/home/ana/Other.AppImage", "APPDIR": "/tmp/.mount_Other"}, ""), Install{Kind: KindBinary, Path: "/tmp/.mount_Other2/usr/bin/neurodeskapp"}},
		{"/home/ana/bin/neurodeskapp", env("linux", map[string]string{"APPIMAGE": "/home/ana/Other.AppImage"}, ""), Install{Kind: KindBinary, Path: "/home/ana/bin/neurodeskapp"}},
		{"/usr/bin/neurodeskapp", env("linux", nil, PackageDeb), Install{Kind: KindPackage, Path: "/usr/bin/neurodeskapp", Package: PackageDeb}},
		{"/usr/bin/neurodeskapp", env("linux", nil, PackageRPM), Install{Kind: KindPackage, Path: "/usr/bin/neurodeskapp", Package: PackageRPM}},
		{"/home/ana/bin/neurodeskapp", env("linux", nil, ""), Install{Kind: KindBinary, Path: "/home/ana/bin/neurodeskapp"}},
	}
	for _, tt := range tests {
		if got := DetectInstall(tt.exe, tt.env); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.exe, got, tt.want)
		}
	}
}

func TestPackageInstallIsNotReplaced(t *testing.T) {
	u := &Updater{}
	err := u.Apply(Release{Version: "1.2.0", URL: "https://example.org/r", AssetName: "neurodeskapp_1.2.0_amd64.deb", AssetURL: "https://example.org/d.deb"},
		[]byte("x"), Install{Kind: KindPackage, Path: "/usr/bin/neurodeskapp", Package: PackageDeb})
	if problem.CodeOf(err) != problem.UpdateManaged || !strings.Contains(problem.RemedyOf(err), "sudo apt install ./neurodeskapp_1.2.0_amd64.deb") {
		t.Errorf("%v", err)
	}
}

func TestEmbeddedKeyParses(t *testing.T) {
	if _, err := parseKey(ReleaseKey); err != nil {
		t.Fatal(err)
	}
}

// TestWindowsInstallUpdatedWhileRunning: the per-user Windows install is
// replaced from the verified zip while the old program still runs (Windows
// cannot delete a running .exe: it is moved aside, and keeps running);
// the next start is the new version. Under Wine this is Windows' own
// file semantics; elsewhere the same steps on this OS's.
func TestWindowsInstallUpdatedWhileRunning(t *testing.T) {
	key, pub := keypair(t)
	exe := buildFake(t, t.TempDir(), "1.0.0")
	newer, err := os.ReadFile(buildFake(t, t.TempDir(), "1.2.0"))
	if err != nil {
		t.Fatal(err)
	}
	files := realisticAssets("1.2.0", []byte("linux"))
	for i := range files {
		if files[i].Name == "neurodeskapp_1.2.0_windows_amd64.zip" {
			files[i].Data = zipOf(t, []zipEntry{{name: filepath.Base(exe), body: string(newer)}})
		}
	}
	assets := key.Sign(files)
	u, err := New(Config{APIBaseURL: fakeGitHub(t, "v1.2.0", assets), PublicKey: pub, OS: "windows", Arch: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	inst := Install{Kind: KindWindowsUser, Path: exe}

	running := exec.Command(exe, "wait")
	stdin, _ := running.StdinPipe()
	stdout, _ := running.StdoutPipe()
	if err := running.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); running.Wait() }()
	said := bufio.NewReader(stdout)
	if l, err := said.ReadString('\n'); err != nil || strings.TrimSpace(l) != "neurodeskapp 1.0.0" {
		t.Fatalf("the old version says %q (%v)", l, err)
	}

	r, found, err := u.Check(t.Context(), "1.0.0", inst)
	if err != nil || !found || r.AssetName != "neurodeskapp_1.2.0_windows_amd64.zip" {
		t.Fatalf("check: %+v %v %v", r, found, err)
	}
	data, err := u.Download(t.Context(), r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Apply(r, data, inst); err != nil {
		t.Fatalf("update while the old version runs: %v", err)
	}
	if out, err := exec.Command(exe).Output(); err != nil || strings.TrimSpace(string(out)) != "neurodeskapp 1.2.0" {
		t.Errorf("the next start says %q (%v)", out, err)
	}
	fmt.Fprintln(stdin, "still there?")
	if l, err := said.ReadString('\n'); err != nil || strings.TrimSpace(l) != "neurodeskapp 1.0.0" {
		t.Errorf("the old version, running through the update, says %q (%v)", l, err)
	}
	stdin.Close()
	if err := running.Wait(); err != nil {
		t.Errorf("the old version, still running through the update, ended with %v", err)
	}
}

// Run from the disk image, the app still hears of a new version, and is
// told to move itself to Applications instead of failing to update; the
// disk image is not touched.
func TestReadOnlyMacCopyIsToldToMove(t *testing.T) {
	key, pub := keypair(t)
	u, err := New(Config{APIBaseURL: fakeGitHub(t, "v2.0.0", key.Sign(realisticAssets("2.0.0", []byte("x")))), PublicKey: pub, OS: "darwin", Arch: "arm64"})
	if err != nil {
		t.Fatal(err)
	}
	dmg := Install{Kind: KindMacReadOnly, Path: "/Volumes/Neurodesk/Neurodesk.app"}
	r, found, err := u.Check(t.Context(), "1.0.0", dmg)
	if err != nil || !found || r.AssetName != "neurodeskapp_2.0.0_darwin_arm64.zip" {
		t.Fatalf("the offer: %+v %v %v", r, found, err)
	}
	err = Blocked(r, dmg)
	if problem.CodeOf(err) != problem.UpdateManaged || !strings.Contains(problem.RemedyOf(err), "Applications folder") {
		t.Errorf("blocked: %v", err)
	}
	if err := u.Apply(r, []byte("anything"), dmg); problem.CodeOf(err) != problem.UpdateManaged {
		t.Errorf("apply: %v", err)
	}
	if err := Blocked(r, Install{Kind: KindMacBundle, Path: "/Applications/Neurodesk.app"}); err != nil {
		t.Errorf("an app in Applications is blocked: %v", err)
	}
}
