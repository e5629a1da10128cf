package instance

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/neurodesk/neurodeskapp/app/platform"
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
	if err := platform.PrivateDir(base); err != nil {
		return "", err
	}
	p = filepath.Join(base, name)
	if len(p) > maxSocketPath {
		return "", fmt.Errorf("no folder with a short enough path (tried %s)", p)
	}
	return p, nil
}

// listen makes the socket, replacing a stale one from a crash: the caller
// holds the lock, so it is ours.
func listen(dir string) (net.Listener, string, error) {
	sock, err := socketPath(dir)
	if err != nil {
		return nil, "", err
	}
	os.Remove(sock)
	l, err := net.Listen("unix", sock)
	return l, sock, err
}

func dial(dir string, timeout time.Duration) (net.Conn, error) {
	sock, err := socketPath(dir)
	if err != nil {
		return nil, err
	}
	return net.DialTimeout("unix", sock, timeout)
}
