package integration

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/neurodesk/neurodeskapp/app/cluster"
	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/session"
	"github.com/neurodesk/neurodeskapp/internal/testenv"
)

var (
	slurmOnce sync.Once
	slurmRef  string
	slurmErr  error
)

// slurmImage is the test cluster (test/slurm/build-image.sh, cached by its hash).
func slurmImage(t *testing.T) string {
	t.Helper()
	slurmOnce.Do(func() {
		cmd := exec.Command(filepath.Join(testenv.ModuleRoot(), "test", "slurm", "build-image.sh"))
		cmd.Env = withoutDockerHost(os.Environ())
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			slurmErr = fmt.Errorf("build the SLURM test image: %v\n%s", err, stderr.String())
			return
		}
		slurmRef = strings.TrimSpace(string(out))
	})
	if slurmErr != nil {
		t.Fatal(slurmErr)
	}
	return slurmRef
}

// testCluster is a running SLURM cluster of two machines on a private
// network: "login" (slurmctld, sshd), reached as ana over SSH on a loopback
// port as the app reaches a login node, and "compute" (slurmd), reached
// only from the login node; /home and the munge key are shared.
type testCluster struct {
	t         *testing.T
	name      string // the login node's container
	node      string // the compute node's
	login     cluster.SSH
	sshConfig string
	asked     string // each passphrase prompt: the command line of the ssh that asked
}

// thePassphrase is the test key's: no agent holds it, so ssh asks
// through SSH_ASKPASS, as it asks a person through ssh-askpass or the terminal.
const thePassphrase = "correct horse battery staple"

func startCluster(t *testing.T) *testCluster {
	t.Helper()
	testenv.Docker(t)
	img := slurmImage(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "id")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", thePassphrase, "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	asked := filepath.Join(dir, "asked")
	askpass := filepath.Join(dir, "askpass")
	os.WriteFile(askpass, []byte("#!/bin/sh\n{ tr '\\0' ' ' </proc/$PPID/cmdline; echo; } >>'"+asked+"'\necho '"+thePassphrase+"'\n"), 0o755)
	// For the test's own ssh and every app it starts (newWorld copies this
	// process's environment).
	t.Setenv("SSH_ASKPASS", askpass)
	t.Setenv("SSH_ASKPASS_REQUIRE", "force")
	t.Setenv("SSH_AUTH_SOCK", "")
	pub, _ := os.ReadFile(key + ".pub")
	name := fmt.Sprintf("neurodeskapp-test-hpc-%d", time.Now().UnixNano()%1e9)
	c := &testCluster{t: t, name: name + "-login", node: name + "-compute", asked: asked}
	docker := func(args ...string) {
		t.Helper()
		cmd := exec.Command("docker", args...)
		cmd.Env = withoutDockerHost(os.Environ())
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("docker %s: %v\n%s", args[0], err, out)
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := c.exec("sh", "-c", "tail -n 20 /var/log/slurm/slurmctld.log /home/ana/.neurodeskapp/job-*.log 2>&1")
			node, _ := c.onNode("sh", "-c", "tail -n 20 /var/log/slurm/slurmd.log 2>&1")
			t.Logf("the cluster's logs:\n%s\n%s", out, node)
		}
		exec.Command("docker", "rm", "-f", "-v", c.name, c.node).Run()
		exec.Command("docker", "network", "rm", name).Run()
		exec.Command("docker", "volume", "rm", name+"-home").Run()
	})
	munge := make([]byte, 1024)
	rand.Read(munge)
	common := []string{"-e", "MUNGE_KEY=" + base64.StdEncoding.EncodeToString(munge), "-v", name + "-home:/home"}
	// The cluster's own network, with no way out: the compute node is
	// reached only from the login node, as on a real cluster.
	docker("network", "create", "--internal", name)
	// The compute node: what its rootless Podman needs to make user
	// namespaces, FUSE overlays and slirp4netns's network (this Docker
	// refuses --privileged); Podman's storage off Docker's overlay, where
	// fuse-overlayfs cannot make folders.
	docker(append(append([]string{"run", "-d", "--name", c.node, "--hostname", "compute", "--network", name, "--network-alias", "compute",
		"--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined", "--security-opt", "systempaths=unconfined",
		"--device", "/dev/fuse", "--device", "/dev/net/tun", "-v", "/home/ana/.local/share/containers", "-e", "ROLE=compute"}, common...), img)...)
	// The login node: on the cluster's network and, for its sshd alone, on
	// this computer's loopback.
	docker(append(append([]string{"create", "--name", c.name, "--hostname", "login", "-p", "127.0.0.1::2222",
		"-e", "ROLE=login", "-e", "AUTHORIZED_KEY=" + strings.TrimSpace(string(pub))}, common...), img)...)
	docker("network", "connect", "--alias", "login", name, c.name)
	docker("start", c.name)
	port, err := exec.Command("docker", "port", c.name, "2222/tcp").Output()
	if err != nil {
		t.Fatalf("the cluster's ssh port: %v", err)
	}
	c.sshConfig = filepath.Join(dir, "ssh_config")
	os.WriteFile(c.sshConfig, []byte(fmt.Sprintf(`Host hpc-login
  HostName 127.0.0.1
  Port %[1]s
  User ana
  IdentityFile %[2]s
  IdentitiesOnly yes
  UserKnownHostsFile %[3]s/known_hosts
  StrictHostKeyChecking accept-new
Host hpc-cleo
  HostName 127.0.0.1
  Port %[1]s
  User cleo
  IdentityFile %[2]s
  IdentitiesOnly yes
  UserKnownHostsFile %[3]s/known_hosts
  StrictHostKeyChecking accept-new
`, strings.TrimSpace(strings.SplitN(string(port), ":", 2)[1]), key, dir)), 0o600)
	c.login = cluster.SSH{Destination: "hpc-login", Options: []string{"-F", c.sshConfig}}
	// sshd answers and slurmd has registered its node.
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := c.login.Run(context.Background(), "", "sinfo --noheader --format=%T")
		if err == nil && strings.TrimSpace(out) == "idle" {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cluster did not come up: %v %q", err, out)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// appAsked is how many times the app's ssh asked for the passphrase (the
// test's own ssh, without the app's control master, asks each time).
func (c *testCluster) appAsked() int {
	b, _ := os.ReadFile(c.asked)
	return strings.Count(string(b), "neurodeskapp-ssh")
}

// appLogin is the login as the app makes it, with the runtime folder
// runDir: a control master that its commands and tunnels share.
func (c *testCluster) appLogin(runDir string) cluster.Sessions {
	env := engine.Env{GOOS: runtime.GOOS, Getenv: func(k string) string {
		if k == "NEURODESK_SSH_CONFIG" {
			return c.sshConfig
		}
		return ""
	}, XDGRuntimeDir: runDir}
	ss, err := cluster.For(env, "hpc-login", c.t.TempDir())
	if err != nil {
		c.t.Fatal(err)
	}
	if !ss.Login.Shared {
		c.t.Fatalf("the app's login is not shared: %+v", ss.Login)
	}
	ss.Client, ss.Poll = http.DefaultClient, 500*time.Millisecond
	return ss
}

// master is the pid of the app's control master for the cluster, 0 when
// none runs.
func (c *testCluster) master(login cluster.SSH) int {
	out, _ := exec.Command("ssh", append(append([]string{}, login.Options...), "-O", "check", "--", login.Destination)...).CombinedOutput()
	var pid int
	fmt.Sscanf(string(out[max(0, strings.Index(string(out), "pid=")):]), "pid=%d", &pid)
	return pid
}

// sshListeners is how many ports ssh listens on, on this computer.
func sshListeners(t *testing.T) int {
	out, err := exec.Command("ss", "-Hltnp").Output()
	if err != nil {
		t.Fatalf("ss: %v", err)
	}
	return strings.Count(string(out), `(("ssh",`)
}

// exec runs a command on the login node as root (what an admin sees).
func (c *testCluster) exec(args ...string) (string, error) {
	out, err := exec.Command("docker", append([]string{"exec", c.name}, args...)...).CombinedOutput()
	return string(out), err
}

// onNode runs a command on the compute node as root.
func (c *testCluster) onNode(args ...string) (string, error) {
	out, err := exec.Command("docker", append([]string{"exec", c.node}, args...)...).CombinedOutput()
	return string(out), err
}

// waitJob waits until the job is in the queue in state (or, for "", gone).
func (c *testCluster) waitJob(cl cluster.Client, id, state string) cluster.Queued {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		jobs, err := cl.Jobs(context.Background())
		var found *cluster.Queued
		for i := range jobs {
			if jobs[i].ID == id {
				found = &jobs[i]
			}
		}
		switch {
		case err == nil && state == "" && found == nil:
			return cluster.Queued{}
		case err == nil && found != nil && found.State == state:
			return *found
		case time.Now().After(deadline):
			c.t.Fatalf("job %s is not %q: %+v %v", id, state, jobs, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// TestClusterJobs, against Debian's own slurmctld, slurmd and munge over
// a real sshd: a job starts, its Jupyter holds its port and serves the
// job's own certificate, and only then does the job say where it listens
// (the node's address and that port). Ben, another user of the node, who
// watches every command line for Jupyter's port, learns nothing (it
// travels in the environment); when he takes the port of a Jupyter that
// died, the tunnel finds another certificate there and sends nothing. The
// token and the TLS key are in no SLURM record, no command line and no
// file left behind; a second job waits while the first holds the only
// node's cores, and the queue says why; both cancelled, none is left.
func TestClusterJobs(t *testing.T) {
	c := startCluster(t)
	cl := cluster.Client{Login: c.login}
	ctx := context.Background()
	c.squat()
	job := cluster.Job{CPUs: 2, MemoryGB: 1, Walltime: 10 * time.Minute, DataFolder: "/home/ana/Studie 1", Image: "docker://vnmd/neurodesktop:2026-11-30"}
	token := "t0ken-" + fmt.Sprint(time.Now().UnixNano())
	ident, err := cluster.NewIdentity(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	id, err := cl.Submit(ctx, job, "n0nce", token, ident)
	if err != nil {
		t.Fatal(err)
	}
	running := c.waitJob(cl, id, "RUNNING")
	if running.Node != "compute" || running.TimeLeft <= 0 || running.TimeLeft > 10*time.Minute {
		t.Errorf("the running job: %+v", running)
	}
	var addr string
	var port int
	for deadline := time.Now().Add(60 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		if addr, port, err = cl.Endpoint(ctx, id, "n0nce"); err != nil {
			t.Fatal(err)
		}
	}
	if net.ParseIP(addr) == nil || port == 0 {
		t.Fatalf("the job did not say where it listens, as an address: %q %d", addr, port)
	}
	if caught := c.squatted(); slices.ContainsFunc(caught, func(l string) bool { return strings.HasPrefix(l, "took ") }) {
		t.Errorf("ben saw Jupyter's port on a command line and took it: %q", caught)
	}

	// Through the login node to the compute node: the job's own
	// certificate, then the token.
	local := freeAddr(t)
	tunnel := exec.Command("ssh", "-F", c.sshConfig, "-N", "-o", "ExitOnForwardFailure=yes", "-L", fmt.Sprintf("%s:%s:%d", local, addr, port), "hpc-login")
	if err := tunnel.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tunnel.Process.Kill(); tunnel.Wait() })
	pin, err := cluster.Pinned(ident.CertPEM)
	if err != nil {
		t.Fatal(err)
	}
	pinned := &http.Client{Transport: &http.Transport{TLSClientConfig: pin}, Timeout: 5 * time.Second}
	var status int
	for deadline := time.Now().Add(20 * time.Second); status != http.StatusOK && time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		req, _ := http.NewRequest(http.MethodGet, "https://"+local+"/api/status", nil)
		req.Header.Set("Authorization", "token "+token)
		if resp, err := pinned.Do(req); err == nil {
			status = resp.StatusCode
			resp.Body.Close()
		}
	}
	if status != http.StatusOK {
		t.Fatalf("Jupyter on the node, through the tunnel with the job's certificate, answered %d", status)
	}
	// Another certificate (ben's server, say) is refused before anything is sent.
	other, _ := cluster.NewIdentity(time.Now())
	otherPin, _ := cluster.Pinned(other.CertPEM)
	if _, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: otherPin}}).Get("https://" + local + "/api/status"); err == nil || !strings.Contains(err.Error(), "not the job's own Jupyter") {
		t.Errorf("a server with another certificate was trusted: %v", err)
	}

	// Where the secrets must not be: SLURM's records of the job, its
	// script, every process's command line, ben's catch, the user's files
	// (the job's private folder aside, which the job removes with itself).
	key := strings.Split(string(ident.KeyPEM), "\n")[1]
	for what, cmd := range map[string][]string{
		"scontrol show job":            {"scontrol", "show", "job", "-d", id},
		"the job's script":             {"scontrol", "write", "batch_script", id, "-"},
		"the processes' command lines": {"ps", "-eo", "args"},
		"the node's command lines":     {"docker-node", "ps", "-eo", "args"},
		"what ben caught":              {"sh", "-c", "cat /home/ben/caught-data 2>/dev/null; true"},
		"ana's files":                  {"sh", "-c", "grep -rl -e '" + token + "' -e '" + key + "' /home/ana /tmp 2>/dev/null | grep -v '^/home/ana/.neurodeskapp/job-" + id + "/' || true"},
		"ana's files on the node":      {"docker-node", "sh", "-c", "grep -rl -e '" + token + "' -e '" + key + "' /tmp /var/tmp 2>/dev/null || true"},
	} {
		run := c.exec
		if cmd[0] == "docker-node" {
			run, cmd = c.onNode, cmd[1:]
		}
		out, err := run(cmd...)
		files := strings.HasPrefix(what, "ana's files")
		if err != nil && !files {
			t.Errorf("%s: %v\n%s", what, err, out)
		}
		if strings.Contains(out, token) || strings.Contains(out, key) || files && strings.TrimSpace(out) != "" {
			t.Errorf("a secret is in %s:\n%s", what, out)
		}
	}
	if out, _ := c.exec("ls", "-A", "/home/ana/.neurodeskapp"); strings.Contains(out, "secrets-") {
		t.Errorf("the secrets file stays: %s", out)
	}
	for dir, mode := range map[string]string{"/home/ana/.neurodeskapp": "700", "/home/ana/.neurodeskapp/job-" + id: "700"} {
		if out, _ := c.exec("stat", "-c", "%a", dir); strings.TrimSpace(out) != mode {
			t.Errorf("%s has mode %s", dir, out)
		}
	}

	// A second job waits for the cores the first holds.
	second, err := cl.Submit(ctx, job, "n1", "other-token", ident)
	if err != nil {
		t.Fatal(err)
	}
	pending := c.waitJob(cl, second, "PENDING")
	if w := pending.Waiting(time.Now()); pending.Reason == "" || !strings.HasPrefix(w, "Waiting in the queue") {
		t.Errorf("the waiting job: %+v, said as %q", pending, w)
	}

	// Jupyter dies; ben takes its port at once. The app's tunnel, which
	// checks the certificate before the token goes anywhere, finds his.
	if out, err := c.onNode("pkill", "-KILL", "-f", "stand-in apptainer|/usr/local/bin/apptainer"); err != nil {
		t.Fatalf("kill the job's Jupyter: %v %s", err, out)
	}
	c.squatPort(port)
	fwdCtx, cancelFwd := context.WithTimeout(ctx, 40*time.Second)
	defer cancelFwd()
	if tun, err := c.login.Forward(fwdCtx, addr, port, pin); err == nil {
		tun.Close()
		t.Error("the tunnel took ben's server for the job's Jupyter")
	}
	if caught := c.squatted(); !slices.ContainsFunc(caught, func(l string) bool { return strings.HasPrefix(l, "got ") }) {
		t.Errorf("the tunnel never reached ben's port (the test proves nothing): %q", caught)
	}

	for _, j := range []string{second, id} {
		if err := cl.Cancel(ctx, j); err != nil {
			t.Error(err)
		}
	}
	c.waitJob(cl, id, "")
	c.waitJob(cl, second, "")
	if jobs, err := cl.Jobs(ctx); err != nil || len(jobs) != 0 {
		t.Errorf("after cancelling: %+v %v", jobs, err)
	}
}

// squatter is ben's program: it watches every command line on the node for
// Jupyter's --ServerApp.port=N (or takes the port given to it), takes N
// first, and writes down what arrives there (a token, if anything sent one).
const squatter = `
import os, re, socket, sys, threading, time
taken = set()
def log(line):
    with open("/home/ben/caught", "a") as f:
        f.write(line + "\n")
def serve(s):
    while True:
        c, _ = s.accept()
        c.settimeout(5)
        try:
            data = c.recv(65536)
            with open("/home/ben/caught-data", "ab") as f:
                f.write(data)
            log("got %d bytes" % len(data))
        except OSError:
            pass
        c.close()
if len(sys.argv) > 1:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    for _ in range(100):
        try:
            s.bind(("0.0.0.0", int(sys.argv[1])))
            break
        except OSError as e:
            log("waiting for %s: %s" % (sys.argv[1], e))
            time.sleep(0.1)
    s.listen()
    log("took " + sys.argv[1])
    serve(s)
while True:
    for pid in os.listdir("/proc"):
        try:
            args = open("/proc/%s/cmdline" % pid, "rb").read().decode(errors="replace")
        except OSError:
            continue
        for port in re.findall(r"--ServerApp.port=(\d+)", args):
            if port in taken or port == "8888":
                continue
            taken.add(port)
            s = socket.socket()
            try:
                s.bind(("0.0.0.0", int(port)))
                s.listen()
                log("took " + port)
                threading.Thread(target=serve, args=(s,), daemon=True).start()
            except OSError:
                log("missed " + port)
    time.sleep(0.05)
`

// squat starts ben's squatter on the node.
func (c *testCluster) squat() {
	c.t.Helper()
	cmd := exec.Command("docker", "exec", "-u", "ben", "-d", c.node, "python3", "-c", squatter)
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Fatalf("ben's squatter: %v\n%s", err, out)
	}
}

// squatPort has ben take port at once and listen there.
func (c *testCluster) squatPort(port int) {
	c.t.Helper()
	if out, err := exec.Command("docker", "exec", "-u", "ben", "-d", c.node, "python3", "-c", squatter, fmt.Sprint(port)).CombinedOutput(); err != nil {
		c.t.Fatalf("ben's squatter: %v\n%s", err, out)
	}
	for i := 0; i < 50 && !slices.Contains(c.squatted(), fmt.Sprintf("took %d", port)); i++ {
		time.Sleep(100 * time.Millisecond)
	}
}

// squatted is what ben's squatter wrote down.
func (c *testCluster) squatted() []string {
	out, _ := c.exec("cat", "/home/ben/caught")
	return strings.Split(strings.TrimSpace(out), "\n")
}

// TestClusterFromTheCommandLine: `start --cluster` submits the job, shows
// the queue, and prints JupyterLab's address on this computer, which
// answers through the tunnel; no local command line holds the token.
// Interrupted, it leaves the job running; a second start reaches the
// same job; status says where it runs; stop ends it and no job is left.
func TestClusterFromTheCommandLine(t *testing.T) {
	c := startCluster(t)
	w := newWorld(t)
	w.env = append(w.env, "NEURODESK_SSH_CONFIG="+c.sshConfig)
	start := func() (*exec.Cmd, string, func() string) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		t.Cleanup(cancel)
		cmd := w.command(ctx, nil, "start", "--cluster", "hpc-login", "--cores", "2", "--memory", "1", "--hours", "2",
			"--data", "/home/ana/Studie 1", "--version", "2026-11-30", "--no-open")
		stdout, _ := cmd.StdoutPipe()
		var stderr syncBuffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 10)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		select {
		case url, ok := <-lines:
			if !ok {
				cmd.Wait()
				t.Fatalf("start --cluster printed no address:\n%s", stderr.String())
			}
			return cmd, url, stderr.String
		case <-ctx.Done():
			t.Fatalf("start --cluster: no address in time:\n%s", stderr.String())
		}
		return nil, "", nil
	}
	cmd, lab, stderr := start()
	if !strings.HasPrefix(lab, "http://127.0.0.1:") || !strings.Contains(lab, "/lab?token=") {
		t.Fatalf("start --cluster printed %q", lab)
	}
	token := lab[strings.Index(lab, "token=")+6:]
	if resp, err := http.Get(lab); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("JupyterLab through the tunnel: %v %v", resp, err)
	}
	// stderr is copied on its own: what comes with the address may lag.
	says := func(stderr func() string, want string) bool {
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if strings.Contains(stderr(), want) {
				return true
			}
		}
		return false
	}
	for _, want := range []string{"Asking hpc-login for 2 cores, 1 GB", "Neurodesktop on compute (job ", "Neurodesktop is ready", "press Ctrl-C to leave"} {
		if !says(stderr, want) {
			t.Errorf("start --cluster did not say %q:\n%s", want, stderr())
		}
	}
	if cmdlines := localCommandLines(t); strings.Contains(cmdlines, token) {
		t.Errorf("the token is on a command line on this computer:\n%s", cmdlines)
	}
	if b, _ := os.ReadFile(filepath.Join(w.home, "state", "neurodeskapp", "cluster-tokens.json")); !strings.Contains(string(b), token) {
		t.Error("the job's token is not kept for the next start")
	}
	if fi, err := os.Stat(filepath.Join(w.home, "state", "neurodeskapp", "cluster-tokens.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the kept tokens' file: %v %v", fi.Mode(), err)
	}

	// Ctrl-C leaves; the job goes on.
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Errorf("start --cluster after Ctrl-C: %v\n%s", err, stderr())
	}
	st := w.run("status", "--cluster", "hpc-login", "--json")
	if st.code != 0 || len(st.records) != 1 || st.records[0]["running"] != true || !strings.Contains(st.stdout, `"node":"compute"`) {
		t.Fatalf("status --cluster after leaving: %d %s %s", st.code, st.stdout, st.stderr)
	}

	// A second start reaches the same job, with the same token.
	cmd, again, stderr := start()
	if !strings.HasSuffix(again, "token="+token) || !says(stderr, "Neurodesktop is already running") {
		t.Errorf("the second start: %q\n%s", again, stderr())
	}
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()

	if r := w.run("stop", "--cluster", "hpc-login"); r.code != 0 {
		t.Fatalf("stop --cluster: %d %s", r.code, r.stderr)
	}
	// Four commands, one login: the second start and status used the first's.
	if n := c.appAsked(); n != 1 {
		b, _ := os.ReadFile(c.asked)
		t.Errorf("the passphrase was asked %d times; want once:\n%s", n, b)
	}
	if r := w.run("status", "--cluster", "hpc-login"); r.code != 3 || !strings.Contains(r.stdout, "no Neurodesktop job") {
		t.Errorf("status after stop: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if out, _ := c.exec("squeue", "--noheader"); strings.TrimSpace(out) != "" {
		t.Errorf("jobs left on the cluster: %s", out)
	}
	if pid := c.master(c.appLogin(os.Getenv("XDG_RUNTIME_DIR")).Login); pid != 0 {
		t.Errorf("the login to the cluster (ssh pid %d) outlives stop and a status that found no job", pid)
	}
}

// TestClusterJobOutOfTime: a tunnel whose ssh dies comes back by itself
// on the same address; a job whose time limit ends is reported as such,
// with its log, to the person watching it.
func TestClusterJobOutOfTime(t *testing.T) {
	c := startCluster(t)
	ss := c.appLogin(t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	r, err := ss.Start(ctx, cluster.Job{CPUs: 1, MemoryGB: 1, Walltime: 2 * time.Minute, Image: "/opt/sif/neurodesktop.sif"}, func(cluster.Progress) {})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Ends.IsZero() || time.Until(r.Ends) > 2*time.Minute {
		t.Errorf("the job ends at %v", r.Ends)
	}
	status := func() int {
		req, _ := http.NewRequest(http.MethodGet, r.BaseURL+"/api/status", nil)
		req.Header.Set("Authorization", "token "+r.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if n := c.appAsked(); n != 1 {
		t.Errorf("the passphrase was asked %d times for submitting, watching the queue and the tunnel; want once", n)
	}
	// The network drops: the login's ssh, which carries the tunnel, is killed.
	pid := c.master(ss.Login)
	if pid == 0 {
		t.Fatal("no control master carries the tunnel")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill the tunnel: %v", err)
	}
	for deadline := time.Now().Add(2 * time.Second); status() == http.StatusOK && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
	}
	// While the login is down another program of this computer wants the
	// window's port, to receive its requests (and the token): it is the app's.
	if l, err := net.Listen("tcp", strings.TrimPrefix(r.BaseURL, "http://")); err == nil {
		l.Close()
		t.Errorf("another program took the tunnel's port %s while its ssh was down", r.BaseURL)
	}
	back := false
	for deadline := time.Now().Add(20 * time.Second); !back && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		back = status() == http.StatusOK
	}
	if !back {
		t.Error("the tunnel did not come back after its ssh died")
	}
	if n := c.appAsked(); n != 2 {
		t.Errorf("the passphrase was asked %d times; want once more for the new login", n)
	}
	err = ss.Watch(ctx, r)
	if err == nil || !strings.Contains(err.Error(), "its time limit was reached") || !strings.Contains(err.Error(), "stand-in apptainer") {
		t.Errorf("a job out of time is told as %v", err)
	}
	r.Close()
	if pid := c.master(ss.Login); pid != 0 {
		t.Errorf("the login to the cluster (pid %d) stays after its job ended", pid)
	}
}

// localCommandLines are every process's command line on this computer.
func localCommandLines(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	dirs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, d := range dirs {
		if c, err := os.ReadFile(d); err == nil {
			b.Write(c)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// syncBuffer is what a command prints to stderr, read while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWindowRunsOnACluster, in the production window with real keys: the
// launcher's "Start on the cluster" (Settings name the login node) queues
// the job and opens its JupyterLab through the tunnel; Ctrl+Q asks, and
// "Keep Running and Quit" leaves the job running and takes the tunnel
// down; the next launch finds the job and opens it again; Session ▸ Stop
// Session asks, and the job is gone.
func TestWindowRunsOnACluster(t *testing.T) {
	c := startCluster(t)
	w := newWorld(t)
	w.writeSettings(w.baseSettings() + "\n[cluster]\nlogin = \"hpc-login\"\ncpus = 2\nmemory_gb = 1\nhours = 2\n")
	env := "NEURODESK_SSH_CONFIG=" + c.sshConfig
	cl := cluster.Client{Login: c.login}
	tunnels := func() int { return sshListeners(t) }

	a := w.startWindow(env)
	a.focus(a.id)
	time.Sleep(3 * time.Second) // the launcher paints and finds the engine
	a.shot("window-cluster-launcher")
	a.keys("Tab", "Return") // from Start Neurodesktop to Start on the cluster
	time.Sleep(700 * time.Millisecond)
	a.shot("window-cluster-progress")
	a.waitTitle("JupyterLab — Neurodesk", 90*time.Second)
	jobs, err := cl.Jobs(context.Background())
	if err != nil || len(jobs) != 1 || jobs[0].State != "RUNNING" {
		t.Fatalf("the cluster's queue: %+v %v", jobs, err)
	}
	if tunnels() != 1 {
		t.Errorf("%d tunnels run, want 1", tunnels())
	}

	a.keys("ctrl+q")
	q := a.waitWindow("Quit Neurodesk", 10*time.Second)
	a.shot("window-cluster-quit")
	a.focus(q)
	a.keys("alt+k") // Keep Running and Quit
	select {
	case <-a.done:
	case <-time.After(20 * time.Second):
		t.Fatal("the app did not quit")
	}
	if n := tunnels(); n != 0 {
		t.Errorf("%d tunnels outlive the app", n)
	}
	if jobs, err := cl.Jobs(context.Background()); err != nil || len(jobs) != 1 {
		t.Fatalf("after Keep Running and Quit the queue holds %+v %v", jobs, err)
	}

	// The next launch finds the job by itself and shows it on the
	// launcher, as a local session found at launch; Session ▸ Open
	// JupyterLab goes there.
	b := w.startWindow(env)
	adopted := regexp.MustCompile(`reached the cluster job" job=` + jobs[0].ID + ` .*adopted=true`)
	for deadline := time.Now().Add(60 * time.Second); !adopted.MatchString(w.appLog()) && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
	}
	if !adopted.MatchString(w.appLog()) {
		b.fatalf("the next launch did not reach job %s", jobs[0].ID)
	}
	time.Sleep(time.Second)
	b.shot("window-cluster-adopted")
	b.focus(b.id)
	b.clickWindow(b.id, 31, 12)
	time.Sleep(500 * time.Millisecond)
	b.keys("Down", "Down", "Return")
	b.waitTitle("JupyterLab — Neurodesk", 30*time.Second)

	// Session ▸ Stop Session…, from JupyterLab.
	b.focus(b.id)
	b.clickWindow(b.id, 31, 12)
	time.Sleep(500 * time.Millisecond)
	b.keys("Down", "Down", "Down", "Down", "Down", "Down", "Return")
	d := b.waitWindow("Stop Neurodesktop", 10*time.Second)
	b.focus(d)
	b.keys("alt+s")
	b.waitTitle("Neurodesk", 30*time.Second)
	c.waitJob(cl, jobs[0].ID, "")
	if n := tunnels(); n != 0 {
		t.Errorf("%d tunnels run after Stop", n)
	}
	// One login for the start, the watch, the quit, the next launch's
	// adoption and the stop; none left after.
	if n := c.appAsked(); n != 1 {
		t.Errorf("the passphrase was asked %d times; want once", n)
	}
	if pid := c.master(c.appLogin(os.Getenv("XDG_RUNTIME_DIR")).Login); pid != 0 {
		t.Errorf("the login to the cluster (ssh pid %d) outlives Stop", pid)
	}
}

// TestWindowClusterJupyterLab4: a node without Apptainer runs the real
// JupyterLab 4 test image (entered as the Neurodesktop image is) with
// rootless Podman as the cluster's user; the window shows it through the
// tunnel, the person's files on the cluster are in its storage folder,
// and Stop ends Jupyter and the job, leaving no container on the node.
func TestWindowClusterJupyterLab4(t *testing.T) {
	lab := jupyterImage(t)
	c := startCluster(t)
	w := newWorld(t)
	if out, err := c.onNode("rm", "/usr/local/bin/apptainer"); err != nil {
		t.Fatalf("take Apptainer off the node: %v %s", err, out)
	}
	// The node's Podman has the image under the name the job asks for
	// (no registry is reachable from the node).
	load := exec.Command("sh", "-c", fmt.Sprintf("docker save %s | docker exec -i -u ana -w /home/ana %s podman load -q && docker exec -u ana -w /home/ana %s podman tag %s %s:%s",
		lab, c.node, c.node, lab, w.repo, w.tag))
	load.Env = withoutDockerHost(os.Environ())
	if out, err := load.CombinedOutput(); err != nil {
		t.Fatalf("load the image into the node's Podman: %v\n%s", err, out)
	}
	c.exec("sh", "-c", "mkdir -p /home/ana/neurodesktop-storage && echo hello > /home/ana/neurodesktop-storage/from-the-cluster.txt && chown -R ana:ana /home/ana/neurodesktop-storage")
	w.writeSettings(w.baseSettings() + "\n[cluster]\nlogin = \"hpc-login\"\ncpus = 2\nmemory_gb = 1\nhours = 2\n")
	env := "NEURODESK_SSH_CONFIG=" + c.sshConfig
	a := w.startWindow(env)
	a.focus(a.id)
	time.Sleep(3 * time.Second)
	a.keys("Tab", "Return") // Start on the cluster
	a.waitTitle("JupyterLab — Neurodesk", 180*time.Second)
	// Usable, not only loaded: the launcher's Terminal tile opens a shell
	// in the container on the node (clicked again while JupyterLab, whose
	// files come through the tunnel, is still laying itself out).
	shell := func() bool {
		out, _ := c.onNode("su", "-", "ana", "-c", "podman top -l args")
		return strings.Contains(out, "/bin/bash")
	}
	for i := 0; i < 10 && !shell(); i++ {
		time.Sleep(2 * time.Second)
		a.clickWindow(a.id, 451, 600)
	}
	if !shell() {
		a.fatalf("JupyterLab's Terminal tile opened no terminal on the node")
	}
	time.Sleep(2 * time.Second)
	a.shot("window-cluster-jupyterlab4")
	ps, _ := c.onNode("su", "-", "ana", "-c", "podman ps --format '{{.Names}} {{.Image}}'")
	if !strings.Contains(ps, "neurodeskapp-") || !strings.Contains(ps, w.repo+":"+w.tag) {
		t.Errorf("the node's Podman runs %q", ps)
	}
	who, _ := c.onNode("su", "-", "ana", "-c", "podman exec $(podman ps -q) ls /neurodesktop-storage")
	if !strings.Contains(who, "from-the-cluster.txt") {
		t.Errorf("the storage folder inside holds %q", who)
	}

	b := a // Session ▸ Stop Session…
	b.clickWindow(b.id, 31, 12)
	time.Sleep(500 * time.Millisecond)
	b.keys("Down", "Down", "Down", "Down", "Down", "Down", "Return")
	b.focus(b.waitWindow("Stop Neurodesktop", 10*time.Second))
	b.keys("alt+s")
	b.waitTitle("Neurodesk", 60*time.Second)
	cl := cluster.Client{Login: c.login}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		if jobs, err := cl.Jobs(context.Background()); err == nil && len(jobs) == 0 {
			break
		}
	}
	if jobs, _ := cl.Jobs(context.Background()); len(jobs) != 0 {
		t.Errorf("jobs left after Stop: %+v", jobs)
	}
	if ps, _ := c.onNode("su", "-", "ana", "-c", "podman ps -a -q"); strings.TrimSpace(ps) != "" {
		t.Errorf("containers left on the node: %q", ps)
	}
}

// TestUIClusterQueueCancelAndTimeLimit, on the launcher: while another job
// holds the only node, "Start on the cluster" shows the queue and why it
// waits; Cancel takes the job off the queue and leaves the other job
// alone. Started again, the job runs with the two minutes an admin gave
// it: the window warns that its time is nearly up, and when SLURM ends it
// the launcher says so, with the job's log.
func TestUIClusterQueueCancelAndTimeLimit(t *testing.T) {
	c := startCluster(t)
	w := newWorld(t)
	w.writeSettings(w.baseSettings() + "\n[cluster]\nlogin = \"hpc-login\"\ncpus = 2\nmemory_gb = 1\nhours = 2\n")
	cl := cluster.Client{Login: c.login}
	ctx0 := context.Background()
	other, err := c.login.Run(ctx0, "", "sbatch --parsable --job-name=other --exclusive --wrap 'sleep 600'")
	if err != nil {
		t.Fatal(err)
	}
	other = strings.TrimSpace(other)
	app := w.startGUI("NEURODESK_SSH_CONFIG=" + c.sshConfig)
	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS("#start-cluster"))); err != nil {
		t.Fatal(err)
	}
	ours := func() []cluster.Queued {
		jobs, err := cl.Jobs(ctx0)
		if err != nil {
			t.Fatal(err)
		}
		return jobs
	}
	waitText := func(sel, want string, timeout time.Duration) {
		t.Helper()
		for deadline := time.Now().Add(timeout); !strings.Contains(textOf(ctx, sel), want); time.Sleep(200 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s says %q, not %q", sel, textOf(ctx, sel), want)
			}
		}
	}

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#start-cluster")), chromedp.WaitVisible(chromedp.CSS("#progress"))); err != nil {
		t.Fatal(err)
	}
	waitText("#progress", "the cores, memory or GPUs asked for are in use", 30*time.Second)
	shoot(t, ctx, "cluster-queued")
	if jobs := ours(); len(jobs) != 1 || jobs[0].State != "PENDING" {
		t.Fatalf("the queue while waiting: %+v", jobs)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#cancel")), chromedp.WaitVisible(chromedp.CSS("#start-cluster"))); err != nil {
		t.Fatalf("Cancel while queued: %v (%q)", err, textOf(ctx, "body"))
	}
	for deadline := time.Now().Add(30 * time.Second); len(ours()) != 0 && time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
	}
	if jobs := ours(); len(jobs) != 0 {
		t.Errorf("Cancel left the job in the queue: %+v", jobs)
	}
	if out, _ := c.exec("squeue", "--noheader", "--format=%i", "--job", other); strings.TrimSpace(out) != other {
		t.Errorf("Cancel touched the other job %s: %q", other, out)
	}

	// Again; this time an admin gives it two minutes and the node frees.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#start-cluster")), chromedp.WaitVisible(chromedp.CSS("#progress"))); err != nil {
		t.Fatal(err)
	}
	var id string
	for deadline := time.Now().Add(30 * time.Second); id == "" && time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		if jobs := ours(); len(jobs) == 1 {
			id = jobs[0].ID
		}
	}
	if id == "" {
		t.Fatal("the second start queued no job")
	}
	if out, err := c.exec("scontrol", "update", "JobId="+id, "TimeLimit=2"); err != nil {
		t.Fatalf("scontrol update: %v %s", err, out)
	}
	if out, err := c.exec("scancel", other); err != nil {
		t.Fatalf("scancel: %v %s", err, out)
	}
	var loc string
	for deadline := time.Now().Add(60 * time.Second); !strings.Contains(loc, "/lab?token=") && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		loc, _ = chromedp.Run(ctx, chromedp.Location())
	}
	if !strings.Contains(loc, "/lab?token=") {
		t.Fatalf("the page did not arrive at JupyterLab: %q", loc)
	}
	warned := regexp.MustCompile(`time is nearly up" job=` + id + ` `)
	for deadline := time.Now().Add(10 * time.Second); !warned.MatchString(w.appLog()) && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
	}
	if !warned.MatchString(w.appLog()) {
		t.Error("no warning that the job's time is nearly up")
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS("#running"))); err != nil {
		t.Fatal(err)
	}
	if d := textOf(ctx, "#running-detail"); !strings.Contains(d, "job "+id+", until ") {
		t.Errorf("the running card says %q, not when the job's time is up", d)
	}
	sctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := chromedp.Do(sctx, chromedp.WaitVisible(chromedp.CSS("#error"))); err != nil {
		t.Fatalf("the launcher did not say the job ended: %q", textOf(ctx, "body"))
	}
	shoot(t, ctx, "cluster-job-ended")
	if msg := textOf(ctx, "#error-message"); !strings.Contains(msg, "The cluster job "+id+" ended: its time limit was reached") {
		t.Errorf("the launcher says %q", msg)
	}
	if log := textOf(ctx, "#error-log"); !strings.Contains(log, "stand-in apptainer") {
		t.Errorf("the error screen shows not the job's log but %q", log)
	}
	if remedy := textOf(ctx, "#error-remedy"); !strings.Contains(remedy, "~/.neurodeskapp/job-"+id+".log on the cluster") {
		t.Errorf("the error screen does not say where the whole log is: %q", remedy)
	}
	if title := textOf(ctx, "#error-log-title"); title != "Job log" {
		t.Errorf("the log is headed %q", title)
	}
	// Jupyter's log holds its address with the token: not on the screen.
	if tok := regexp.MustCompile(`token=[0-9a-f]{8,}`).FindString(textOf(ctx, "#error")); tok != "" {
		t.Errorf("the error screen shows the session's token: %s", tok)
	}

	// Retry starts on the cluster again (a new job), not on this computer.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#error-retry")), chromedp.WaitVisible(chromedp.CSS("#progress"))); err != nil {
		t.Fatal(err)
	}
	waitText("#progress-title", "on hpc-login", 10*time.Second)
	for deadline := time.Now().Add(30 * time.Second); len(ours()) == 0 && time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
	}
	if jobs := ours(); len(jobs) != 1 || jobs[0].ID == id {
		t.Errorf("Retry queued %+v", jobs)
	}
	if w.containerExists() {
		t.Error("Retry started Neurodesktop on this computer")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#cancel")), chromedp.WaitVisible(chromedp.CSS("#start-cluster"))); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); len(ours()) != 0 && time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
	}
	if jobs := ours(); len(jobs) != 0 {
		t.Errorf("Cancel left the job in the queue: %+v", jobs)
	}
}

// TestClusterApptainerJupyterLab4: where the node has Apptainer (the real
// one, built from its source for the test cluster: Debian packages none),
// the job runs the JupyterLab 4 test image from a site's SIF file, as
// Neurodesk documents for HPC. JupyterLab answers through the tunnel with
// the token, which is on no command line on the node; the data folder asked
// for is /neurodesktop-storage inside; Stop ends Jupyter and the job.
func TestClusterApptainerJupyterLab4(t *testing.T) {
	lab := jupyterImage(t)
	c := startCluster(t)
	if out, err := c.onNode("ln", "-sf", "/opt/apptainer/bin/apptainer", "/usr/local/bin/apptainer"); err != nil {
		t.Fatalf("put Apptainer on the node: %v %s", err, out)
	}
	// The site's SIF file, made on the node from the image.
	sif := exec.Command("sh", "-c", fmt.Sprintf("docker save %s | docker exec -i -u ana -w /home/ana %s sh -c 'cat >lab.tar && apptainer -s build -F neurodesktop.sif docker-archive:///home/ana/lab.tar; s=$?; rm -f lab.tar; exit $s'", lab, c.node))
	sif.Env = withoutDockerHost(os.Environ())
	if out, err := sif.CombinedOutput(); err != nil {
		t.Fatalf("build the SIF file: %v\n%s", err, out)
	}
	c.exec("sh", "-c", "mkdir -p '/home/ana/Studie 1' && echo hello > '/home/ana/Studie 1/from-the-cluster.txt' && chown -R ana:ana '/home/ana/Studie 1'")
	dotfiles := func() string {
		out, _ := c.exec("sh", "-c", "cd /home/ana && ls -A | grep -vx .neurodeskapp; cat .bashrc .profile 2>/dev/null | sha256sum")
		return out
	}
	before := dotfiles()
	ss := c.appLogin(t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	r, err := ss.Start(ctx, cluster.Job{CPUs: 2, MemoryGB: 1, Walltime: 10 * time.Minute, DataFolder: "/home/ana/Studie 1", Image: "/home/ana/neurodesktop.sif"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	get := func(path string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, r.BaseURL+path, nil)
		req.Header.Set("Authorization", "token "+r.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/api/status"); code != http.StatusOK {
		t.Errorf("Jupyter's status through the tunnel: %d %s", code, body)
	}
	if code, body := get("/lab"); code != http.StatusOK || !strings.Contains(body, "JupyterLab") {
		t.Errorf("/lab through the tunnel: %d %.200s", code, body)
	}
	if log, _ := c.exec("cat", "/home/ana/.neurodeskapp/job-"+r.JobID+".log"); !strings.Contains(log, "Jupyter Server 2.") {
		t.Errorf("the job's log does not show Jupyter Server 2 running:\n%s", log)
	}
	pid, _ := c.onNode("pgrep", "-u", "ana", "-f", "jupyter-lab|jupyter lab")
	fields := strings.Fields(pid)
	if len(fields) == 0 {
		t.Fatal("no JupyterLab process on the node")
	}
	// Seen as ana, who owns the container's namespaces.
	if ls, err := c.onNode("su", "ana", "-c", "ls /proc/"+fields[len(fields)-1]+"/root/neurodesktop-storage"); err != nil || !strings.Contains(ls, "from-the-cluster.txt") {
		t.Errorf("/neurodesktop-storage inside holds %q (%v)", ls, err)
	}
	if ps, _ := c.onNode("ps", "-eo", "args"); strings.Contains(ps, r.Token) {
		t.Errorf("the token is on a command line on the node:\n%s", ps)
	}
	// The image's own way in, unprivileged: its entrypoint's start.sh ran
	// the hooks as ana, in a home of the app's own; ana's own home and
	// dotfiles are as they were.
	log, _ := c.exec("cat", "/home/ana/.neurodeskapp/job-"+r.JobID+".log")
	for _, want := range []string{"Running hooks in: /usr/local/bin/start-notebook.d as uid: 2001", "Running hooks in: /usr/local/bin/before-notebook.d as uid: 2001", "user start-up as"} {
		if !strings.Contains(log, want) {
			t.Errorf("the job's log lacks %q (the image's start.sh did not run its hooks):\n%s", want, log)
		}
	}
	if out, err := c.exec("readlink", "/home/ana/.neurodeskapp/home/neurodesktop-storage"); err != nil || !strings.Contains(out, "/neurodesktop-storage") {
		t.Errorf("the app's home on the cluster has no neurodesktop-storage link: %q %v", out, err)
	}
	if after := dotfiles(); after != before {
		t.Errorf("ana's own home changed:\n%s\nwas\n%s", after, before)
	}
	// The desktop: the route the image offers there (VNC: RDP cannot run
	// unprivileged, and the image hides its tile), answering through the
	// tunnel, its desktop running as ana.
	desk, err := session.FindDesktop(ctx, http.DefaultClient, session.Info{BaseURL: r.BaseURL, Token: r.Token})
	if err != nil || desk.Path != "/neurodesktop-vnc/" {
		t.Errorf("the cluster session's desktop: %+v %v", desk, err)
	}
	if code, body := get("/neurodesktop-vnc/"); code != http.StatusOK || !strings.Contains(body, "<title>Neurodesktop VNC</title>") {
		t.Errorf("/neurodesktop-vnc/ through the tunnel: %d %.300s", code, body)
	}
	if x, _ := c.onNode("pgrep", "-u", "ana", "-f", "Xvnc"); strings.TrimSpace(x) == "" {
		out, _ := c.onNode("sh", "-c", "cat /tmp/neurodesktop-*.log 2>&1 | tail -20")
		t.Errorf("no desktop runs on the node for ana:\n%s", out)
	}

	if err := ss.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if jobs, err := ss.Jobs(ctx); err != nil || len(jobs) != 0 {
		t.Errorf("after Stop the queue holds %+v %v", jobs, err)
	}
	if left, _ := c.onNode("pgrep", "-u", "ana", "-f", "ServerApp.port"); strings.TrimSpace(left) != "" {
		t.Errorf("Jupyter outlives Stop: pids %s", left)
	}
	if log, _ := c.exec("cat", "/home/ana/.neurodeskapp/job-"+r.JobID+".log"); !strings.Contains(log, "Shutting down") {
		t.Errorf("Jupyter did not end gracefully:\n%s", log)
	}
}

// TestClusterRequeueAndCleanup: a job whose id an earlier job had (its
// folder says its Jupyter is where ben listens) starts with its own
// secrets and is reached where it really listens; a job the cluster
// requeues (a node failing, say) starts again with its own secrets, and JupyterLab answers again at
// the same address on this computer; Stop leaves nothing of the job on the
// cluster (its token, key and endpoint) or here, and no login; a job that
// ends while the app is closed is forgotten at the next launch, which
// leaves no login behind either.
func TestClusterRequeueAndCleanup(t *testing.T) {
	c := startCluster(t)
	ss := c.appLogin(t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	job := cluster.Job{CPUs: 1, MemoryGB: 1, Walltime: 10 * time.Minute, Image: "/opt/sif/neurodesktop.sif"}
	// A job id used before (SLURM's ids start again after its state is
	// lost): the folder an earlier job 1 left says its Jupyter listens on
	// a port ben holds. The new job 1 is not fooled by it.
	c.squatPort(40123)
	c.exec("sh", "-c", "install -d -o ana -g ana -m 700 /home/ana/.neurodeskapp /home/ana/.neurodeskapp/job-1 && "+
		"echo \"oldnonce $(getent hosts compute | cut -d' ' -f1) 40123\" > /home/ana/.neurodeskapp/job-1/endpoint && echo old-token > /home/ana/.neurodeskapp/job-1/token && "+
		"chown -R ana:ana /home/ana/.neurodeskapp/job-1")
	r, err := ss.Start(ctx, job, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.JobID != "1" {
		t.Fatalf("the first job of a new cluster is %s, not 1: the test cannot reuse an id", r.JobID)
	}
	if out, _ := c.exec("cat", "/home/ana/.neurodeskapp/job-1/token"); strings.Contains(out, "old-token") {
		t.Error("the new job 1 kept the old job 1's token")
	}
	if caught := c.squatted(); slices.ContainsFunc(caught, func(l string) bool { return strings.HasPrefix(l, "got ") }) {
		t.Errorf("the start went to the old job's address, ben's: %q", caught)
	}
	status := func() int {
		req, _ := http.NewRequest(http.MethodGet, r.BaseURL+"/api/status", nil)
		req.Header.Set("Authorization", "token "+r.Token)
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	wctx, stopWatch := context.WithCancel(ctx)
	watched := make(chan error, 1)
	go func() { watched <- ss.Watch(wctx, r) }()
	if out, err := c.exec("scontrol", "requeue", r.JobID); err != nil {
		t.Fatalf("requeue: %v %s", err, out)
	}
	c.waitJob(cluster.Client{Login: c.login}, r.JobID, "PENDING")
	c.exec("scontrol", "update", "JobId="+r.JobID, "StartTime=now") // the requeue's two minutes' wait, spared
	back := false
	for deadline := time.Now().Add(90 * time.Second); !back && time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		back = status() == http.StatusOK
	}
	if !back {
		log, _ := c.exec("cat", "/home/ana/.neurodeskapp/job-"+r.JobID+".log")
		t.Fatalf("JupyterLab did not answer again at %s after the requeue; the job's log:\n%s", r.BaseURL, log)
	}
	stopWatch()
	<-watched

	if err := ss.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if out, _ := c.exec("ls", "-A", "/home/ana/.neurodeskapp"); strings.Contains(out, "job-"+r.JobID+"\n") || strings.Contains(out, "secrets-") {
		t.Errorf("the stopped job's folder or secrets stay on the cluster:\n%s", out)
	}
	if ss.Kept() {
		t.Error("the stopped job is still remembered here")
	}
	if pid := c.master(ss.Login); pid != 0 {
		t.Errorf("the login (pid %d) stays after Stop", pid)
	}

	// Started, the app closed (the job runs on), the job ends meanwhile.
	r2, err := ss.Start(ctx, job, nil)
	if err != nil {
		t.Fatal(err)
	}
	r2.Close()
	ss.Login.Logout(ctx)
	if out, err := c.exec("scancel", r2.JobID); err != nil {
		t.Fatalf("scancel: %v %s", err, out)
	}
	c.waitJob(cluster.Client{Login: c.login}, r2.JobID, "")
	if !ss.Kept() {
		t.Fatal("the running job was not remembered for the next launch")
	}
	if _, found, err := ss.Adopt(ctx, nil); found || err != nil {
		t.Fatalf("the next launch found the ended job: %v %v", found, err)
	}
	if ss.Kept() {
		t.Error("the ended job is remembered for good: each launch would log in to look for it")
	}
	if pid := c.master(ss.Login); pid != 0 {
		t.Errorf("the launch's look left a login (pid %d)", pid)
	}
}

// TestClusterTcshLogin: for cleo, whose login shell is tcsh, the app's
// commands run as they do for everyone (tcsh would read `2>/dev/null` as an
// error): the queue is read, a job is submitted and says where its Jupyter
// listens, and it is cancelled.
func TestClusterTcshLogin(t *testing.T) {
	c := startCluster(t)
	if out, _ := c.exec("getent", "passwd", "cleo"); !strings.Contains(out, "/usr/bin/tcsh") {
		t.Fatalf("cleo's login shell is not tcsh: %s", out)
	}
	cl := cluster.Client{Login: cluster.SSH{Destination: "hpc-cleo", Options: []string{"-F", c.sshConfig}}}
	ctx := context.Background()
	if jobs, err := cl.Jobs(ctx); err != nil || len(jobs) != 0 {
		t.Fatalf("cleo's queue: %+v %v", jobs, err)
	}
	ident, _ := cluster.NewIdentity(time.Now())
	id, err := cl.Submit(ctx, cluster.Job{CPUs: 1, MemoryGB: 1, Walltime: 5 * time.Minute, Image: "/opt/sif/neurodesktop.sif"}, "c1", "cleos-token", ident)
	if err != nil {
		t.Fatal(err)
	}
	c.waitJob(cl, id, "RUNNING")
	var addr string
	for deadline := time.Now().Add(60 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		if addr, _, err = cl.Endpoint(ctx, id, "c1"); err != nil {
			t.Fatal(err)
		}
	}
	if addr == "" {
		t.Error("cleo's job never said where it listens")
	}
	if err := cl.Cancel(ctx, id); err != nil {
		t.Fatal(err)
	}
	c.waitJob(cl, id, "")
}
