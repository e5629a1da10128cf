package fakegithub

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
)

// Signer signs releases as the release workflow does: checksums.txt over
// every asset, and an ECDSA P-256 signature of it.
type Signer struct{ key *ecdsa.PrivateKey }

// NewSigner makes a signer with a new key.
func NewSigner() *Signer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err) // the system's randomness is gone
	}
	return &Signer{key: k}
}

// PublicKeyPEM is the key the app would have built in.
func (s *Signer) PublicKeyPEM() []byte {
	der, _ := x509.MarshalPKIXPublicKey(&s.key.PublicKey)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// SignData signs data (a checksums.txt).
func (s *Signer) SignData(data []byte) []byte {
	h := sha256.Sum256(data)
	sig, err := ecdsa.SignASN1(rand.Reader, s.key, h[:])
	if err != nil {
		panic(err)
	}
	return sig
}

// Sign returns assets followed by checksums.txt over them and its signature.
func (s *Signer) Sign(assets []Asset) []Asset {
	var sums bytes.Buffer
	for _, a := range assets {
		fmt.Fprintf(&sums, "%x  %s\n", sha256.Sum256(a.Data), a.Name)
	}
	return append(append([]Asset{}, assets...),
		Asset{Name: "checksums.txt", Data: sums.Bytes()}, Asset{Name: "checksums.txt.sig", Data: s.SignData(sums.Bytes())})
}

// TarGz is an archive holding one executable file, as make package makes
// the update archives.
func TarGz(name string, data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(data))}) //nolint:errcheck // in memory
	tw.Write(data)                                                               //nolint:errcheck
	tw.Close()
	zw.Close()
	return buf.Bytes()
}
