package instance

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
)

// maxSocketPath is under the smallest limit on a socket's path (104 bytes
// on macOS, 108 on Linux): longer paths cannot be listened on at all.
const maxSocketPath = 100

// socketPath is where the instance in dir listens: inside dir, or, when
// that path is too long, in a private folder under $XDG_RUNTIME_DIR or the
// temp folder, named for dir so that each state folder has its own.
func socketPath(dir string) (string, error) {
	p := filepath.Join(dir, "instance.sock")
	if len(p) <= maxSocketPath {
		return p, nil
	}
	sum := sha256.Sum256([]byte(dir))
	name := "neurodeskapp-" + hex.EncodeToString(sum[:8]) + ".sock"
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" && filepath.IsAbs(rt) {
		if p := filepath.Join(rt, name); len(p) <= maxSocketPath {
			return p, nil // the runtime folder is the user's own (0700)
		}
	}
	base := filepath.Join(os.TempDir(), fmt.Sprintf("neurodeskapp-%d", os.Getuid()))
	if err := privateDir(base); err != nil {
		return "", fmt.Errorf("single-instance socket: %w", err)
	}
	p = filepath.Join(base, name)
	if len(p) > maxSocketPath {
		return "", fmt.Errorf("single-instance socket: no folder with a short enough path (tried %s)", p)
	}
	return p, nil
}

// privateDir makes dir, or accepts it only when it is a real folder of ours
// that nobody else can enter: the temp folder is shared.
func privateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() || !private(fi) {
		return fmt.Errorf("%s exists but is not a private folder of this user; remove it", dir)
	}
	return nil
}
