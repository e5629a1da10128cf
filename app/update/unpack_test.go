package update

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"

	"github.com/neurodesk/neurodeskapp/internal/fakegithub"
)

func TestUnpackProgram(t *testing.T) {
	tgz := fakegithub.TarGz("neurodeskapp", []byte("linux program"))
	if b, err := unpackProgram(tgz, "neurodeskapp_3.1.0_linux_amd64.tar.gz", "neurodeskapp"); err != nil || string(b) != "linux program" {
		t.Errorf("tar.gz: %q %v", b, err)
	}
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("neurodeskapp/README.txt")
	w.Write([]byte("not it"))
	w, _ = zw.Create("neurodeskapp/neurodeskapp.exe")
	w.Write([]byte("windows program"))
	zw.Close()
	if b, err := unpackProgram(zb.Bytes(), "neurodeskapp_3.1.0_windows_amd64.zip", "neurodeskapp.exe"); err != nil || string(b) != "windows program" {
		t.Errorf("zip: %q %v", b, err)
	}
	if _, err := unpackProgram(tgz, "x.tar.gz", "other"); err == nil || !strings.Contains(err.Error(), "no file named other") {
		t.Errorf("a missing program: %v", err)
	}
	if _, err := unpackProgram([]byte("MZ..."), "neurodeskapp.exe", "neurodeskapp.exe"); err == nil {
		t.Error("a bare program was taken for an archive")
	}
	if _, err := unpackProgram([]byte("garbage"), "x.tar.gz", "neurodeskapp"); err == nil {
		t.Error("a damaged archive was read")
	}
}
