package engine

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestMain lets this test binary stand in for ssh: run as "ssh" with
// FAKE_SSH_ENGINE set, it waits FAKE_SSH_DELAY (an ssh connection being
// made), then carries stdin and stdout to that engine socket, as `docker
// system dial-stdio` does on the remote host.
func TestMain(m *testing.M) {
	if sock := os.Getenv("FAKE_SSH_ENGINE"); sock != "" && filepath.Base(os.Args[0]) == "ssh" {
		d, _ := time.ParseDuration(os.Getenv("FAKE_SSH_DELAY"))
		time.Sleep(d)
		c, err := net.Dial("unix", sock)
		if err != nil {
			os.Exit(255)
		}
		go func() { io.Copy(c, os.Stdin); c.(*net.UnixConn).CloseWrite() }()
		io.Copy(os.Stdout, c)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// An engine over SSH whose first answer takes longer than a local socket
// may (the SSH connection is made first) is connected, not reported as
// not running.
func TestSlowSSHConnectionIsNotADeadEngine(t *testing.T) {
	sock := fakeEngine(t, "1.43")[len("unix://"):]
	bin := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(bin, "ssh")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	t.Setenv("FAKE_SSH_ENGINE", sock)
	t.Setenv("FAKE_SSH_DELAY", (pingTimeout + time.Second).String())
	eng, _, err := Connect(context.Background(), envOf("linux", t.TempDir(), map[string]string{"DOCKER_HOST": "ssh://ana@engine.example"}))
	if err != nil {
		t.Fatalf("an engine whose SSH connection takes %s was not reached: %v", pingTimeout+time.Second, err)
	}
	eng.Close()
}
