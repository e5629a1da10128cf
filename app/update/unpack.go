package update

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// maxProgram bounds what is read of one file in an update archive: far more
// than the app, far less than a decompression bomb.
const maxProgram = 512 << 20

// unpackProgram returns the file named name (at any depth) from the update
// archive asset: a .tar.gz (Linux) or a .zip (Windows). The archive's
// checksum and signature were verified before this is called.
func unpackProgram(data []byte, asset, name string) ([]byte, error) {
	switch {
	case strings.HasSuffix(asset, ".tar.gz") || strings.HasSuffix(asset, ".tgz"):
		gz, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", asset, err)
		}
		tr := tar.NewReader(gz)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", asset, err)
			}
			if h.Typeflag == tar.TypeReg && path.Base(h.Name) == name {
				return readProgram(tr, asset)
			}
		}
	case strings.HasSuffix(asset, ".zip"):
		z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", asset, err)
		}
		for _, f := range z.File {
			if !f.FileInfo().IsDir() && path.Base(f.Name) == name {
				rc, err := f.Open()
				if err != nil {
					return nil, fmt.Errorf("read %s in %s: %w", name, asset, err)
				}
				defer rc.Close()
				return readProgram(rc, asset)
			}
		}
	default:
		return nil, fmt.Errorf("%s is not an archive the app unpacks (.tar.gz or .zip)", asset)
	}
	return nil, fmt.Errorf("%s holds no file named %s", asset, name)
}

func readProgram(r io.Reader, asset string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxProgram+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", asset, err)
	}
	if len(b) > maxProgram {
		return nil, fmt.Errorf("the program in %s is larger than %d MB", asset, maxProgram>>20)
	}
	return b, nil
}
