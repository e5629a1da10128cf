package cli

import (
	"bytes"
	"encoding/json"
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
	signer := fakegithub.NewSigner()
	srv := fakegithub.New("NeuroDesk/neurodesk-app", "v1.2.0", "notes", signer.Sign([]fakegithub.Asset{
		{Name: "neurodeskapp_1.2.0_amd64.deb", Data: []byte("deb")},
		{Name: "neurodeskapp-1.2.0-1.x86_64.rpm", Data: []byte("rpm")},
		{Name: "neurodeskapp_1.2.0_windows_amd64.zip", Data: []byte("zip")},
		{Name: fmt.Sprintf("neurodeskapp_1.2.0_%s_%s.tar.gz", runtime.GOOS, runtime.GOARCH), Data: fakegithub.TarGz("neurodeskapp", program)},
	}))
	t.Cleanup(srv.Close)
	return srv.APIBase(), signer.PublicKeyPEM()
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
