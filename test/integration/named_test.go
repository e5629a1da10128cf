package integration

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/neurodesk/neurodeskapp/internal/testregistry"
)

// hostsMark marks the lines the tests add to /etc/hosts, so that a test
// that died is cleaned up after by the next.
const hostsMark = "# neurodeskapp-test"

// namedRegistry serves a registry under a real registry's name (ghcr.io),
// as a person's pulls meet it: /etc/hosts sends the name to 127.0.0.1:443,
// where a registry holds a certificate for it from a CA the engine (in its
// certs.d) and the app (SSL_CERT_FILE, the returned file) trust. Only for
// pictures of what a person sees: the name in the progress, not a test's
// address. Needs root; everything is put back when the test ends.
func namedRegistry(t *testing.T, name string) (*testregistry.Registry, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("a registry under a real name needs root (/etc/hosts, /etc/docker/certs.d)")
	}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "neurodeskapp test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, caPEM, 0o644)
	certsDir := filepath.Join("/etc/docker/certs.d", name)
	if err := os.MkdirAll(certsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(certsDir, "ca.crt"), caPEM, 0o644)
	unhost := func() {
		b, _ := os.ReadFile("/etc/hosts")
		var keep []string
		for _, l := range strings.SplitAfter(string(b), "\n") {
			if !strings.Contains(l, hostsMark) {
				keep = append(keep, l)
			}
		}
		os.WriteFile("/etc/hosts", []byte(strings.Join(keep, "")), 0o644) // in place: it may be a bind mount
	}
	unhost()
	b, _ := os.ReadFile("/etc/hosts")
	os.WriteFile("/etc/hosts", append(b, []byte("127.0.0.1 "+name+" "+hostsMark+"\n")...), 0o644)
	t.Cleanup(func() {
		unhost()
		os.RemoveAll(certsDir)
	})
	reg, err := testregistry.StartTLS("127.0.0.1:443", &tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key})
	if err != nil {
		t.Fatalf("a registry on 127.0.0.1:443: %v", err)
	}
	t.Cleanup(func() { reg.Close() })
	return reg, caFile
}

// pictureText is what a person reads in a screenshot (OCR by tesseract).
func pictureText(t *testing.T, png string) string {
	t.Helper()
	out, err := exec.Command("tesseract", png, "stdout").Output()
	if err != nil {
		t.Fatalf("read %s with tesseract (scripts/deps.sh test installs it): %v", png, err)
	}
	return string(out)
}

// noTracesInPicture fails when a screenshot shows the test's traces (its
// folders, a registry on loopback), as read from the picture itself; want
// is a word it must show, so that a picture OCR cannot read fails too.
func noTracesInPicture(t *testing.T, name, want string) {
	t.Helper()
	file := filepath.Join(screenshotDir(t), name+".png")
	text := pictureText(t, file)
	if !strings.Contains(text, want) {
		t.Errorf("%s does not show %q (as read from the picture):\n%s", name, want, text)
	}
	for _, bad := range []string{"/tmp/", "127.0.0.1", "Test", "Daten mit"} {
		if strings.Contains(text, bad) {
			t.Errorf("%s shows %q (as read from the picture):\n%s", name, bad, text)
		}
	}
	if m := regexp.MustCompile(`\bit\d{5,}`).FindString(text); m != "" {
		t.Errorf("%s shows a test's instance %q (as read from the picture):\n%s", name, m, text)
	}
}
