package cluster

import (
	"context"
	"errors"
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

// TestSubmitKeepsTheTokenOffCommandLines: the token travels on ssh's
// standard input into a private file; the job script names that file, not
// the token; a refused job's file is removed.
func TestSubmitKeepsTheTokenOffCommandLines(t *testing.T) {
	f := &fakeLogin{reply: func(c string) (string, error) {
		if strings.Contains(c, "sbatch") {
			return "4242;neurodesk-test\n", nil
		}
		return "", nil
	}}
	id, err := Client{Login: f}.Submit(context.Background(), goodJob(), "s3cret-token")
	if err != nil || id != "4242" {
		t.Fatalf("submit: %q %v", id, err)
	}
	for i, c := range f.calls {
		if strings.Contains(c.command, "s3cret") || i > 0 && strings.Contains(c.stdin, "s3cret") {
			t.Errorf("the token is in %+v", c)
		}
	}
	if f.calls[0].stdin != "s3cret-token" || !strings.Contains(f.calls[0].command, "umask 077") {
		t.Errorf("the token file is written by %+v", f.calls[0])
	}

	f = &fakeLogin{reply: func(c string) (string, error) {
		if strings.Contains(c, "sbatch") {
			return "", errors.New("sbatch: error: invalid partition specified: gpu")
		}
		return "", nil
	}}
	if _, err := (Client{Login: f}).Submit(context.Background(), goodJob(), "t"); err == nil || !strings.Contains(err.Error(), "invalid partition") {
		t.Errorf("a refused job: %v", err)
	}
	if last := f.calls[len(f.calls)-1].command; !strings.Contains(last, "rm -f .neurodeskapp/token-") {
		t.Errorf("the refused job's token file stays: last command %q", last)
	}
}

func TestEndpointAndCancelTakeOnlyJobIDs(t *testing.T) {
	f := &fakeLogin{reply: func(string) (string, error) { return "hpc 43210\n", nil }}
	c := Client{Login: f}
	if node, port, err := c.Endpoint(context.Background(), "77"); node != "hpc" || port != 43210 || err != nil {
		t.Errorf("endpoint: %q %d %v", node, port, err)
	}
	for _, bad := range []string{"77; rm -rf ~", "", "-1"} {
		if _, _, err := c.Endpoint(context.Background(), bad); err == nil {
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
