package cluster

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
)

type call struct{ stdin, command string }

type fakeLogin struct {
	calls []call
	reply func(command string) (string, error)
}

func (f *fakeLogin) Run(_ context.Context, stdin, command string) (string, error) {
	f.calls = append(f.calls, call{stdin, command})
	if f.reply != nil {
		return f.reply(command)
	}
	return "", nil
}

// TestSubmitKeepsTheSecretsOffCommandLines: the token and the job's TLS
// key travel on ssh's standard input into a private file; the job script
// names that file, not them; a refused job's file is removed.
func TestSubmitKeepsTheSecretsOffCommandLines(t *testing.T) {
	f := &fakeLogin{reply: func(c string) (string, error) {
		if strings.Contains(c, "sbatch") {
			return "4242;neurodesk-test\n", nil
		}
		return "", nil
	}}
	ident, err := NewIdentity(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	id, err := Client{Login: f}.Submit(context.Background(), goodJob(), "n0nce", "s3cret-token", ident)
	if err != nil || id != "4242" {
		t.Fatalf("submit: %q %v", id, err)
	}
	key := strings.Split(string(ident.KeyPEM), "\n")[1]
	for i, c := range f.calls {
		if strings.Contains(c.command, "s3cret") || strings.Contains(c.command, key) || i > 0 && (strings.Contains(c.stdin, "s3cret") || strings.Contains(c.stdin, key)) {
			t.Errorf("a secret is in %+v", c)
		}
	}
	if want := "s3cret-token\n" + string(ident.CertPEM) + string(ident.KeyPEM); f.calls[0].stdin != want ||
		!strings.Contains(f.calls[0].command, "umask 077") || !strings.Contains(f.calls[0].command, "secrets-n0nce") {
		t.Errorf("the secrets file is written by %+v", f.calls[0])
	}

	f = &fakeLogin{reply: func(c string) (string, error) {
		if strings.Contains(c, "sbatch") {
			return "", errors.New("sbatch: error: invalid partition specified: gpu")
		}
		return "", nil
	}}
	if _, err := (Client{Login: f}).Submit(context.Background(), goodJob(), "n1", "t", ident); err == nil || !strings.Contains(err.Error(), "invalid partition") {
		t.Errorf("a refused job: %v", err)
	}
	if last := f.calls[len(f.calls)-1].command; !strings.Contains(last, "rm -f .neurodeskapp/secrets-n1") {
		t.Errorf("the refused job's secrets file stays: last command %q", last)
	}
}

func TestEndpointAndCancelTakeOnlyJobIDs(t *testing.T) {
	f := &fakeLogin{reply: func(string) (string, error) { return "n0nce 10.1.2.7 43210\n", nil }}
	c := Client{Login: f}
	if addr, port, err := c.Endpoint(context.Background(), "77", "n0nce"); addr != "10.1.2.7" || port != 43210 || err != nil {
		t.Errorf("endpoint: %q %d %v", addr, port, err)
	}
	// Recorded by another start (a job id used again): not this one's.
	if addr, port, err := c.Endpoint(context.Background(), "77", "other"); addr != "" || port != 0 || err != nil {
		t.Errorf("another start's endpoint was taken: %q %d %v", addr, port, err)
	}
	for _, bad := range []string{"77; rm -rf ~", "", "-1"} {
		if _, _, err := c.Endpoint(context.Background(), bad, "n0nce"); err == nil {
			t.Errorf("endpoint of %q ran", bad)
		}
		if err := c.Cancel(context.Background(), bad); err == nil {
			t.Errorf("cancel of %q ran", bad)
		}
	}
}

func TestSSHRefusesOptionsAsDestinations(t *testing.T) {
	for _, d := range []string{"-oProxyCommand=touch /tmp/x", "ana@hpc extra", ""} {
		if _, err := (SSH{Destination: d}).Run(context.Background(), "", "true"); err == nil || !strings.Contains(err.Error(), "not a login node") {
			t.Errorf("destination %q: %v", d, err)
		}
	}
}

// TestStartupStageFromTheJobLog: while the job starts, the image's own
// start-up is read from the end of its log, the latest stage winning.
func TestStartupStageFromTheJobLog(t *testing.T) {
	f := &fakeLogin{reply: func(c string) (string, error) {
		if !strings.Contains(c, "tail -n 200 .neurodeskapp/job-77.log") {
			return "", errors.New("unexpected " + c)
		}
		return "Entered start.sh with args: jupyter lab\nRunning hooks in: /usr/local/bin/start-notebook.d as uid: 0 gid: 0\n" +
			"Executing the command: jupyter lab --no-browser\n[I ServerApp] something\n", nil
	}}
	st, ok := startupStage(context.Background(), Client{Login: f}, "77")
	if !ok || st.Text != "Starting JupyterLab" || !st.Jupyter {
		t.Errorf("stage %+v %v", st, ok)
	}
	f.reply = func(string) (string, error) { return "stand-in apptainer: exec\n", nil }
	if st, ok := startupStage(context.Background(), Client{Login: f}, "77"); ok {
		t.Errorf("a log without stages gave %+v", st)
	}
}

// TestBeforeEnd: the warning comes at once when less than WalltimeWarning
// is left, not before when more is, never for an unlimited job.
func TestBeforeEnd(t *testing.T) {
	warned := make(chan bool, 3)
	soon := &Running{Ends: time.Now().Add(WalltimeWarning - time.Minute)}
	defer soon.BeforeEnd(func() { warned <- true })()
	select {
	case <-warned:
	case <-time.After(2 * time.Second):
		t.Error("no warning with less than WalltimeWarning left")
	}
	later := &Running{Ends: time.Now().Add(WalltimeWarning + time.Hour)}
	defer later.BeforeEnd(func() { warned <- true })()
	(&Running{}).BeforeEnd(func() { warned <- true })()
	select {
	case <-warned:
		t.Error("a warning long before the end, or for an unlimited job")
	case <-time.After(200 * time.Millisecond):
	}
}

// TestLoginIsSharedWhereSSHHasMasters: the tunnel rides the commands'
// control master (one passphrase), except on Windows, whose ssh has none.
func TestLoginIsSharedWhereSSHHasMasters(t *testing.T) {
	for goos, want := range map[string]bool{"linux": true, "darwin": true, "windows": false} {
		env := engine.Env{GOOS: goos, Getenv: func(string) string { return "" }, XDGRuntimeDir: t.TempDir()}
		ss, err := For(env, "ana@login.hpc.example", t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if ss.Login.Shared != want {
			t.Errorf("on %s the login is shared: %v (options %q)", goos, ss.Login.Shared, ss.Login.Options)
		}
	}
}

// TestRunUnderAnyLoginShell: a command runs under /bin/sh whatever the
// person's login shell (tcsh reads `2>/dev/null` otherwise as an error), its
// standard input arrives, what the shell's start-up files print is not
// taken for its output, and its exit code is its own.
func TestRunUnderAnyLoginShell(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in ssh is a shell script")
	}
	for _, shell := range []string{"/bin/sh", "/bin/bash", "/usr/bin/tcsh"} {
		t.Run(filepath.Base(shell), func(t *testing.T) {
			if _, err := os.Stat(shell); err != nil {
				t.Fatalf("%s is missing (scripts/deps.sh test installs tcsh)", shell)
			}
			bin, dir := t.TempDir(), t.TempDir()
			// sshd runs the command with the login shell, after its banner.
			os.WriteFile(filepath.Join(bin, "ssh"), []byte("#!/bin/sh\nfor a; do last=$a; done\necho 'Welcome to the cluster! Your quota: 93% used'\ncd "+dir+"\nexec "+shell+" -c \"$last\"\n"), 0o755)
			t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
			login := SSH{Destination: "hpc"}
			out, err := login.Run(context.Background(), "from stdin\n", "cat > got && echo \"job $((6*7))\" 2>/dev/null || true")
			if err != nil || out != "job 42\n" {
				t.Errorf("out %q, err %v", out, err)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "got")); string(b) != "from stdin\n" {
				t.Errorf("stdin arrived as %q", b)
			}
			if _, err := login.Run(context.Background(), "", "echo partial; exit 3"); err == nil || !strings.Contains(err.Error(), "exit status 3") {
				t.Errorf("a failing command: %v", err)
			}
		})
	}
}
