package update

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// The files that vouch for a release: sha256sum's output over every asset,
// and an ECDSA P-256 signature (ASN.1) of that file's SHA-256.
const (
	checksumsName = "checksums.txt"
	signatureName = "checksums.txt.sig"
)

func parseKey(pemData []byte) (*ecdsa.PublicKey, error) {
	block, _ := pem.Decode(pemData)
	if block == nil {
		return nil, errors.New("release key: no PEM block")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("release key: %w", err)
	}
	ek, ok := k.(*ecdsa.PublicKey)
	if !ok {
		return nil, errors.New("release key: not an ECDSA key")
	}
	return ek, nil
}

// verify checks sums against its signature, then data against the line of
// sums that names the asset.
func verify(key *ecdsa.PublicKey, name string, data, sums, sig []byte) error {
	h := sha256.Sum256(sums)
	if !ecdsa.VerifyASN1(key, h[:], sig) {
		return errors.New("checksums.txt: the signature does not match the app's release key")
	}
	want, err := checksumOf(sums, name)
	if err != nil {
		return err
	}
	got := sha256.Sum256(data)
	if !bytes.Equal(got[:], want) {
		return fmt.Errorf("%s: its SHA-256 is not the one in checksums.txt", name)
	}
	return nil
}

// checksumOf finds name's digest in sha256sum output ("HEX  NAME" or
// "HEX *NAME"); the name must match exactly.
func checksumOf(sums []byte, name string) ([]byte, error) {
	sc := bufio.NewScanner(bytes.NewReader(sums))
	for sc.Scan() {
		hexSum, file, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if !ok {
			continue
		}
		file = strings.TrimPrefix(strings.TrimLeft(file, " "), "*")
		if file != name {
			continue
		}
		sum, err := hex.DecodeString(hexSum)
		if err != nil || len(sum) != sha256.Size {
			return nil, fmt.Errorf("checksums.txt: the line for %s is not a SHA-256", name)
		}
		return sum, nil
	}
	return nil, fmt.Errorf("checksums.txt does not list %s", name)
}
