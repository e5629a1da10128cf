package cluster

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Identity is a job's own TLS certificate. The app makes it for each start
// and sends its key with the token, over ssh's standard input, into a file
// only the person can read; the job's Jupyter serves it. Before anything
// (the token first of all) goes to a server, the app checks that it holds
// this very certificate: another user of the node who takes the job's port
// gets a TLS handshake that fails, and nothing else.
type Identity struct {
	CertPEM []byte
	KeyPEM  []byte // sent to the job; never kept on this computer
}

// NewIdentity makes a P-256 key and a self-signed certificate for it,
// valid for longer than any job may run.
func NewIdentity(now time.Time) (Identity, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Identity{}, fmt.Errorf("make the job's TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return Identity{}, fmt.Errorf("make the job's certificate: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "neurodeskapp job"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(32 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return Identity{}, fmt.Errorf("make the job's certificate: %w", err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return Identity{}, fmt.Errorf("make the job's TLS key: %w", err)
	}
	return Identity{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}),
	}, nil
}

// Pinned is a TLS configuration that trusts the server holding certPEM's
// certificate and no other (names and authorities do not matter: the
// certificate is the job's own).
func Pinned(certPEM []byte) (*tls.Config, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("the job's certificate is not a PEM certificate")
	}
	want := block.Bytes
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		// The chain is checked below, against the one certificate.
		InsecureSkipVerify: true, //nolint:gosec // pinned in VerifyPeerCertificate
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 || !bytes.Equal(raw[0], want) {
				return errors.New("the server is not the job's own Jupyter: it holds another certificate")
			}
			return nil
		},
	}, nil
}
