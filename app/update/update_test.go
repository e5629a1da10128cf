package update

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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

func buildFake(t *testing.T, dir, version string) string {
	t.Helper()
	out := filepath.Join(dir, "neurodeskapp")
	cmd := exec.Command("go", "build", "-ldflags", "-X main.version="+version, "-o", out, "./testdata/fakeapp")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build fake app: %v\n%s", err, b)
	}
	return out
}

func targz(t *testing.T, name string, data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(data))})
	tw.Write(data)
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func keypair(t *testing.T) (*ecdsa.PrivateKey, []byte) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	return k, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func sign(t *testing.T, k *ecdsa.PrivateKey, data []byte) []byte {
	h := sha256.Sum256(data)
	sig, err := ecdsa.SignASN1(rand.Reader, k, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// release is a v1.2.0 release of the fake app, with checksums.txt and its
// signature; tamper may change anything before it is served.
func release(t *testing.T, key *ecdsa.PrivateKey, tamper func(archive, sums, sig *[]byte)) string {
	t.Helper()
	bin, err := os.ReadFile(buildFake(t, t.TempDir(), "1.2.0"))
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("neurodeskapp_1.2.0_%s_%s.tar.gz", runtime.GOOS, runtime.GOARCH)
	archive := targz(t, "neurodeskapp", bin)
	sums := []byte(fmt.Sprintf("%x  %s\n%x  neurodeskapp_1.2.0_amd64.deb\n", sha256.Sum256(archive), name, sha256.Sum256([]byte("deb"))))
	sig := sign(t, key, sums)
	if tamper != nil {
		tamper(&archive, &sums, &sig)
	}
	return fakeGitHub(t, "v1.2.0", []asset{{Name: name, Data: archive}, {Name: "neurodeskapp_1.2.0_amd64.deb", Data: []byte("deb")}, {Name: "checksums.txt", Data: sums}, {Name: "checksums.txt.sig", Data: sig}})
}

func updater(t *testing.T, api string, pub []byte) *Updater {
	u, err := New(Config{APIBaseURL: api, PublicKey: pub})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestCheckOffersOnlyNewer(t *testing.T) {
	key, pub := keypair(t)
	u := updater(t, release(t, key, nil), pub)
	for current, want := range map[string]bool{"1.0.0": true, "1.1.9": true, "1.2.0": false, "1.3.0": false} {
		r, found, err := u.Check(t.Context(), current)
		if err != nil || found != want {
			t.Errorf("current %s: found=%v err=%v, want %v", current, found, err, want)
		}
		if found && (r.Version != "1.2.0" || r.Notes != "Faster pulls.") {
			t.Errorf("release %+v", r)
		}
	}
}

func TestGoodUpdateReplacesBinary(t *testing.T) {
	key, pub := keypair(t)
	u := updater(t, release(t, key, nil), pub)
	exe := buildFake(t, t.TempDir(), "1.0.0")
	r, found, err := u.Check(t.Context(), "1.0.0")
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
			r, found, err := u.Check(t.Context(), "1.0.0")
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
	name := fmt.Sprintf("neurodeskapp_1.2.0_%s_%s.tar.gz", runtime.GOOS, runtime.GOARCH)
	u := updater(t, fakeGitHub(t, "v1.2.0", []asset{{Name: name, Data: targz(t, "neurodeskapp", []byte("x"))}}), pub)
	if _, found, err := u.Check(t.Context(), "1.0.0"); found || err == nil {
		t.Errorf("an unsigned release was offered (found=%v err=%v)", found, err)
	}
}

func TestDetectInstall(t *testing.T) {
	env := func(goos string, vars map[string]string, owned bool) Env {
		return Env{GOOS: goos, Getenv: func(k string) string { return vars[k] }, Owned: func(string) bool { return owned }}
	}
	tests := []struct {
		exe  string
		env  Env
		want Install
	}{
		{"/Applications/Neurodesk.app/Contents/MacOS/neurodeskapp", env("darwin", nil, false), Install{KindMacBundle, "/Applications/Neurodesk.app"}},
		{`C:\Users\ana\AppData\Local\Programs\Neurodesk\neurodeskapp.exe`, env("windows", map[string]string{"LOCALAPPDATA": `C:\Users\ana\AppData\Local`}, false), Install{KindWindowsUser, `C:\Users\ana\AppData\Local\Programs\Neurodesk\neurodeskapp.exe`}},
		{"/tmp/.mount_Neuro/usr/bin/neurodeskapp", env("linux", map[string]string{"APPIMAGE": "/home/ana/Neurodesk.AppImage"}, false), Install{KindAppImage, "/home/ana/Neurodesk.AppImage"}},
		{"/usr/bin/neurodeskapp", env("linux", nil, true), Install{KindPackage, "/usr/bin/neurodeskapp"}},
		{"/home/ana/bin/neurodeskapp", env("linux", nil, false), Install{KindBinary, "/home/ana/bin/neurodeskapp"}},
	}
	for _, tt := range tests {
		if got := DetectInstall(tt.exe, tt.env); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.exe, got, tt.want)
		}
	}
}

func TestPackageInstallIsNotReplaced(t *testing.T) {
	u := &Updater{}
	err := u.Apply(Release{Version: "1.2.0", URL: "https://example.org/r"}, []byte("x"), Install{Kind: KindPackage, Path: "/usr/bin/neurodeskapp"})
	if problem.CodeOf(err) != problem.UpdateManaged || !strings.Contains(problem.RemedyOf(err), "https://example.org/r") {
		t.Errorf("%v", err)
	}
}

func TestEmbeddedKeyParses(t *testing.T) {
	if _, err := parseKey(ReleaseKey); err != nil {
		t.Fatal(err)
	}
}
