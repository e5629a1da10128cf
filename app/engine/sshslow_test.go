package engine

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain lets this test binary stand in for ssh: run as "ssh" with
// FAKE_SSH_ENGINE set, it waits FAKE_SSH_DELAY (an ssh connection being
// made), then carries stdin and stdout to that engine socket, as `docker
// system dial-stdio` does on the remote host; asked who we are there, it
// answers as the account ana (uid 1001) would.
func TestMain(m *testing.M) {
	if host := os.Getenv("FAKE_SSH_ENGINE"); host != "" && strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe") == "ssh" {
		d, _ := time.ParseDuration(os.Getenv("FAKE_SSH_DELAY"))
		time.Sleep(d)
		if strings.Contains(os.Args[len(os.Args)-1], "id -u") {
			fmt.Println("Welcome!\n" + accountMarker + "\n1001\n1001\nana")
			os.Exit(0)
		}
		network, addr, _ := strings.Cut(host, "://") // unix, or tcp on Windows
		c, err := net.Dial(network, addr)
		if err != nil {
			os.Exit(255)
		}
		go func() { io.Copy(c, os.Stdin); c.(interface{ CloseWrite() error }).CloseWrite() }()
		io.Copy(os.Stdout, c)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// An engine over SSH whose first answer takes longer than a local socket
// may (the SSH connection is made first) is connected, not reported as
// not running.
func TestSlowSSHConnectionIsNotADeadEngine(t *testing.T) {
	host := fakeEngine(t, "1.43")
	bin := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// A copy, not a link: Windows makes links only for administrators.
	b, err := os.ReadFile(self)
	if err == nil {
		err = os.WriteFile(filepath.Join(bin, "ssh"+exeSuffix()), b, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	t.Setenv("FAKE_SSH_ENGINE", host)
	t.Setenv("FAKE_SSH_DELAY", (pingTimeout + time.Second).String())
	eng, _, err := Connect(context.Background(), envOf("linux", t.TempDir(), map[string]string{"DOCKER_HOST": "ssh://ana@engine.example"}))
	if err != nil {
		t.Fatalf("an engine whose SSH connection takes %s was not reached: %v", pingTimeout+time.Second, err)
	}
	defer eng.Close()
	if a := eng.Info().Account; a == nil || *a != (Account{UID: 1001, GID: 1001, Name: "ana"}) {
		t.Errorf("the account on the engine's host: %+v, want ana's", a)
	}
}

func exeSuffix() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}
