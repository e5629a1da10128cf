package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/neurodesk/neurodeskapp/internal/fakegithub"
)

// fakeRelease serves v1.2.0 with other platforms' files listed before this
// machine's archive, signed by a new key whose public half it returns.
func fakeRelease(t *testing.T, program []byte) (api string, pub []byte) {
	var archive bytes.Buffer
	zw := gzip.NewWriter(&archive)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "neurodeskapp", Mode: 0o755, Size: int64(len(program))})
	tw.Write(program)
	tw.Close()
	zw.Close()
	assets := []fakegithub.Asset{
		{Name: "neurodeskapp_1.2.0_amd64.deb", Data: []byte("deb")},
		{Name: "neurodeskapp-1.2.0-1.x86_64.rpm", Data: []byte("rpm")},
		{Name: "neurodeskapp_1.2.0_windows_amd64.zip", Data: []byte("zip")},
		{Name: fmt.Sprintf("neurodeskapp_1.2.0_%s_%s.tar.gz", runtime.GOOS, runtime.GOARCH), Data: archive.Bytes()},
	}
	var sums bytes.Buffer
	for _, a := range assets {
		fmt.Fprintf(&sums, "%x  %s\n", sha256.Sum256(a.Data), a.Name)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	h := sha256.Sum256(sums.Bytes())
	sig, _ := ecdsa.SignASN1(rand.Reader, key, h[:])
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	assets = append(assets, fakegithub.Asset{Name: "checksums.txt", Data: sums.Bytes()}, fakegithub.Asset{Name: "checksums.txt.sig", Data: sig})
	srv := fakegithub.New("NeuroDesk/neurodesk-app", "v1.2.0", "notes", assets)
	t.Cleanup(srv.Close)
	return srv.APIBase(), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func updateIO(t *testing.T, api string, pub []byte, exe, version string) (IO, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return IO{Stdout: &out, Stderr: &errOut, Executable: exe, Version: version, UpdateKey: pub,
		Getenv: func(k string) string { return map[string]string{"NEURODESK_UPDATE_API": api}[k] }}, &out, &errOut
}

func TestUpdateCheckNamesThisInstallsAsset(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the archive kind asserted here is Linux's")
	}
	api, pub := fakeRelease(t, []byte("new"))
	exe := filepath.Join(t.TempDir(), "neurodeskapp")
	os.WriteFile(exe, []byte("old"), 0o755)
	io, out, _ := updateIO(t, api, pub, exe, "1.0.0")
	if code := Run(t.Context(), []string{"update", "--check", "--json"}, io); code != ExitOK {
		t.Fatalf("exit %d: %s", code, out)
	}
	var r updateReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err, out)
	}
	want := fmt.Sprintf("neurodeskapp_1.2.0_linux_%s.tar.gz", runtime.GOARCH)
	if !r.Available || r.Newest != "1.2.0" || r.Asset != want || r.Install.Kind != "binary" || r.Current != "1.0.0" {
		t.Errorf("report %+v, want asset %s", r, want)
	}
	if b, _ := os.ReadFile(exe); string(b) != "old" {
		t.Error("--check changed the program")
	}
}

func TestUpdateInstallsVerifiedRelease(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the archive kind asserted here is Linux's")
	}
	api, pub := fakeRelease(t, []byte("new program"))
	exe := filepath.Join(t.TempDir(), "neurodeskapp")
	os.WriteFile(exe, []byte("old"), 0o755)
	io, out, errOut := updateIO(t, api, pub, exe, "1.0.0")
	if code := Run(t.Context(), []string{"update"}, io); code != ExitOK {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	if b, _ := os.ReadFile(exe); string(b) != "new program" {
		t.Errorf("program is %q after the update", b)
	}
	if !strings.Contains(out.String(), "Verified and installed 1.2.0") {
		t.Errorf("output: %s", out)
	}
}

func TestUpdateRefusesUntrustedRelease(t *testing.T) {
	api, _ := fakeRelease(t, []byte("new program"))
	_, otherPub := fakeRelease(t, nil)
	exe := filepath.Join(t.TempDir(), "neurodeskapp")
	os.WriteFile(exe, []byte("old"), 0o755)
	io, out, errOut := updateIO(t, api, otherPub, exe, "1.0.0")
	if code := Run(t.Context(), []string{"update"}, io); code != ExitFailure {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	if b, _ := os.ReadFile(exe); string(b) != "old" {
		t.Errorf("program is %q after a refused update", b)
	}
	if !strings.Contains(errOut.String(), "did not verify") {
		t.Errorf("stderr: %s", errOut)
	}
}

func TestUpdateOffForDevBuilds(t *testing.T) {
	io, out, errOut := updateIO(t, "http://127.0.0.1:1/", nil, "/tmp/neurodeskapp", "0.0.0-dev")
	if code := Run(t.Context(), []string{"update", "--check"}, io); code != ExitFailure || !strings.Contains(errOut.String(), "development builds") {
		t.Errorf("exit %d: %s %s", code, out, errOut)
	}
}
