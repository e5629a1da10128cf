package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// sshd is an OpenSSH server on 127.0.0.1 that lets root in with a key made
// for the test; clientConfig is an ssh_config that uses that key.
type sshd struct {
	port         int
	clientConfig string
	publicKey    []byte // the client's key, which other accounts may authorize too
}

func startSSHD(t *testing.T) sshd {
	t.Helper()
	if os.Getuid() != 0 {
		t.Fatal("the SSH test runs sshd and logs in as root: run it as root (CI does)")
	}
	dir := t.TempDir()
	for _, key := range []string{"host", "id"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, key)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, _ := os.ReadFile(filepath.Join(dir, "id.pub"))
	os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600)
	port := freePortNumber(t)
	cfg := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %[2]s/host
AuthorizedKeysFile %[2]s/authorized_keys .ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding yes
PidFile %[2]s/sshd.pid
`, port, dir)
	os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(cfg), 0o600)
	os.MkdirAll("/run/sshd", 0o755) // its privilege separation folder
	cmd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	log, _ := os.Create(filepath.Join(dir, "sshd.log"))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sshd (scripts/deps.sh test installs openssh-server): %v", err)
	}
	t.Cleanup(func() {
		// Its connections first: they outlive the listener, and with them
		// the app's ssh control master, were a test to end before stop.
		for _, child := range childrenOf(cmd.Process.Pid) {
			syscall.Kill(child, syscall.SIGTERM)
		}
		cmd.Process.Kill()
		cmd.Wait()
	})
	client := filepath.Join(dir, "ssh_config")
	os.WriteFile(client, []byte(fmt.Sprintf(`Host *
  IdentityFile %[1]s/id
  IdentitiesOnly yes
  UserKnownHostsFile %[1]s/known_hosts
  StrictHostKeyChecking accept-new
  BatchMode yes
`, dir)), 0o600)
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			break
		}
		if i == 100 {
			b, _ := os.ReadFile(filepath.Join(dir, "sshd.log"))
			t.Fatalf("sshd does not listen: %s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return sshd{port: port, clientConfig: client, publicKey: pub}
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	var kids []int
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		b, _ := os.ReadFile(st)
		// pid (comm) state ppid ...: comm may hold spaces, so read after ")".
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			kid, _ := strconv.Atoi(filepath.Base(filepath.Dir(st)))
			kids = append(kids, kid)
		}
	}
	return kids
}

func freePortNumber(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// listenerCommand names the process listening on 127.0.0.1:port (from
// /proc/net/tcp and the processes' open sockets), or "".
func listenerCommand(port int) string {
	b, _ := os.ReadFile("/proc/net/tcp")
	inode := ""
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		// local address 0100007F:PORT (127.0.0.1), state 0A (LISTEN)
		if len(f) > 9 && f[1] == fmt.Sprintf("0100007F:%04X", port) && f[3] == "0A" {
			inode = f[9]
		}
	}
	if inode == "" {
		return ""
	}
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		if l, err := os.Readlink(fd); err == nil && l == "socket:["+inode+"]" {
			comm, _ := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(fd)), "comm"))
			return strings.TrimSpace(string(comm))
		}
	}
	return ""
}

// TestRemoteEngineOverSSH: with DOCKER_HOST=ssh://, JupyterLab is published
// on the engine host's loopback and the app reaches it (readiness probe
// included) through ssh, at an address the app itself holds: `start` stays
// while the address is used, and a dropped connection is made again
// without the address ever being free for another program; status and
// stop work over the same connection, and stop closes it.
func TestRemoteEngineOverSSH(t *testing.T) {
	w := newWorld(t)
	s := startSSHD(t)
	if r := w.run("pull"); r.code != 0 {
		t.Fatalf("pull: %s", r.stderr)
	}
	remote := []string{fmt.Sprintf("DOCKER_HOST=ssh://root@127.0.0.1:%d", s.port), "NEURODESK_SSH_CONFIG=" + s.clientConfig,
		"XDG_RUNTIME_DIR=" + filepath.Join(w.home, "run")}
	os.MkdirAll(filepath.Join(w.home, "run"), 0o700)
	// The data folder is a path on the engine's host, which the app does
	// not create from here: it says so.
	r := w.runEnv(remote, "start", "--json", "--no-open")
	if r.code != 6 || errCode(r.last()) != "invalid_settings" || !strings.Contains(r.stdout, "engine's host") {
		t.Fatalf("start with no data folder on the engine's host: exit %d\n%s", r.code, r.stdout)
	}
	os.MkdirAll(w.data, 0o755) // made on "the remote host"
	url, leave := w.startHeld(remote)
	c := w.inspect()
	published := c.NetworkSettings.Ports["8888/tcp"]
	if len(published) == 0 || published[0].HostIP != "127.0.0.1" {
		t.Fatalf("published %v, want the engine host's loopback", published)
	}
	local := strings.TrimPrefix(strings.SplitN(url, "/lab", 2)[0], "http://127.0.0.1:")
	if local == published[0].HostPort {
		t.Fatalf("the URL %s uses the container's own port %s: not forwarded", url, local)
	}
	port, _ := strconv.Atoi(local)
	if who := listenerCommand(port); who != "neurodeskapp" {
		t.Errorf("port %d, which the app probed and reports, is served by %q, not by the app", port, who)
	}
	get := func() error {
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		return nil
	}
	if err := get(); err != nil {
		t.Errorf("GET %s through the forward: %v", url, err)
	}
	// The connection drops (the master ends): the address stays the app's,
	// and the next request logs in again and goes through.
	// The app's control folder (engine.sshOptionsFor): its runtime
	// folder's, or a short one when that path is too long for a socket.
	control := filepath.Join(w.home, "run", "neurodeskapp-ssh")
	if len(control)+1+40+17 >= 104 {
		control = fmt.Sprintf("/tmp/neurodeskapp-ssh-%d", os.Getuid())
	}
	exit := exec.Command("ssh", "-F", s.clientConfig, "-o", "ControlPath="+filepath.Join(control, "%C"), "-O", "exit", "-l", "root", "-p", strconv.Itoa(s.port), "--", "127.0.0.1")
	if out, err := exit.CombinedOutput(); err != nil {
		t.Fatalf("end the master: %v %s", err, out)
	}
	if who := listenerCommand(port); who != "neurodeskapp" {
		t.Errorf("with the connection down, port %d is served by %q, not held by the app", port, who)
	}
	if err := get(); err != nil {
		t.Errorf("GET %s after the connection dropped: %v", url, err)
	}
	if r := w.runEnv(remote, "status", "--json"); r.code != 0 || r.last()["running"] != true {
		t.Errorf("status over ssh: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := w.runEnv(remote, "stop", "--json"); r.code != 0 {
		t.Fatalf("stop over ssh: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	if _, err := w.docker.ContainerInspect(context.Background(), w.container()); err == nil {
		t.Error("the container survived stop")
	}
	if r := leave(); r.code != 0 {
		t.Errorf("start, left with Ctrl-C: exit %d\n%s", r.code, r.stderr)
	}
	if who := listenerCommand(port); who != "" {
		t.Errorf("after stop port %d is still served by %q", port, who)
	}
}

// startHeld runs `start --json --no-open` over ssh until it prints the
// session's address, which works while the command runs; leave ends the
// command as Ctrl-C does.
func (w *world) startHeld(env []string) (url string, leave func() result) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	cmd := w.command(ctx, env, "start", "--json", "--no-open")
	stdout, _ := cmd.StdoutPipe()
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(io.TeeReader(stdout, &out))
	for url == "" && sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil {
			url, _ = rec["url"].(string)
		}
	}
	if url == "" {
		cmd.Wait()
		cancel()
		w.t.Fatalf("start over ssh printed no address:\n%s\n%s", out.String(), errb.String())
	}
	go io.Copy(io.Discard, stdout)
	w.t.Cleanup(func() { cmd.Process.Kill(); cancel() })
	return url, func() result {
		cmd.Process.Signal(os.Interrupt)
		err := cmd.Wait()
		cancel()
		r := result{stdout: out.String(), stderr: errb.String()}
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		}
		return r
	}
}

// TestUIRemoteEngineDataFolder: with an engine over SSH the launcher says
// the data folder is on the engine's host and takes it as text (no folder
// dialog can show that host); a relative path is refused in place.
func TestUIRemoteEngineDataFolder(t *testing.T) {
	w := newWorld(t)
	s := startSSHD(t)
	app := w.startGUI(fmt.Sprintf("DOCKER_HOST=ssh://root@127.0.0.1:%d", s.port), "NEURODESK_SSH_CONFIG="+s.clientConfig,
		"XDG_RUNTIME_DIR="+filepath.Join(w.home, "run"))
	ctx := browser(t)
	err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS(`#engine-dot.ok`)),
		chromedp.WaitVisible(chromedp.CSS("#data-remote")))
	if err != nil {
		t.Fatalf("no text field for a remote engine's data folder: %v", err)
	}
	if title := textOf(ctx, "#launcher-title"); title != "Neurodesktop on 127.0.0.1" {
		t.Errorf("the heading says %q, not where Neurodesktop runs", title)
	}
	if !hidden(ctx, "#data-local") || !strings.Contains(textOf(ctx, "#data-where"), "engine's host") {
		t.Errorf("the launcher does not say where the folder is: %q", textOf(ctx, "#data-where"))
	}
	// Typed and submitted with Enter, as a person does; each step with its
	// own deadline, and what the launcher showed if it fails.
	typeFolder := func(path string, then chromedp.Action[chromedp.Void]) error {
		sctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		// What is there is selected, and typing replaces it.
		selectAll := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`(() => { const f = document.getElementById("data-remote-path"); f.focus(); f.select(); return true; })()`)(ctx, t)
			return err
		})
		return chromedp.Do(sctx, selectAll, chromedp.SendKeys(chromedp.CSS("#data-remote-path"), path+kb.Enter), then)
	}
	shown := func() string {
		v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({field: document.getElementById("data-remote-path").value,
			error: document.getElementById("data-error").textContent, errorHidden: document.getElementById("data-error").hidden,
			folder: document.getElementById("data-folder").textContent, banner: document.body.innerText.slice(0, 400)})`))
		return v
	}
	if err := typeFolder("relative/data", chromedp.WaitVisible(chromedp.CSS("#data-error"))); err != nil || !strings.Contains(shown(), "absolute") {
		t.Errorf("a relative path was not refused in place: %v\n%s", err, shown())
	}
	remotePath := filepath.Join(w.home, "on the remote host", "data of ana") // not made yet: not looked at here
	if err := typeFolder(remotePath, chromedp.WaitNotVisible(chromedp.CSS("#data-error"))); err != nil {
		t.Fatalf("a path on the engine's host: %v\n%s", err, shown())
	}
	shoot(t, ctx, "remote-engine")
	b, _ := os.ReadFile(w.settingsPath())
	if !strings.Contains(string(b), remotePath) {
		t.Errorf("not saved:\n%s", b)
	}

	// Start from the window: JupyterLab arrives through the forward.
	os.MkdirAll(remotePath, 0o755) // made "on the remote host"
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#start"))); err != nil {
		t.Fatal(err)
	}
	var loc string
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline) && !strings.Contains(loc, "/lab?token="); time.Sleep(200 * time.Millisecond) {
		loc, _ = chromedp.Run(ctx, chromedp.Location())
	}
	if !strings.Contains(loc, "/lab?token=") {
		page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("the window did not arrive at JupyterLab over SSH: %q\n%s", loc, page)
	}
	port, _ := strconv.Atoi(strings.TrimPrefix(strings.SplitN(loc, "/lab", 2)[0], "http://127.0.0.1:"))
	if who := listenerCommand(port); !strings.HasPrefix(who, "neurodeskapp") {
		t.Errorf("the window's JupyterLab at port %d is served by %q, not held by the app", port, who)
	}
	// Stop from the launcher (asked natively): the container goes, and the forward with it.
	answered := make(chan error, 1)
	go func() { answered <- answerDialog(app.display, "Stop Neurodesktop", "alt+s") }()
	if err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS("#running")),
		chromedp.Click(chromedp.CSS("#stop")), chromedp.WaitVisible(chromedp.CSS("#start"))); err != nil {
		t.Fatal(err)
	}
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	if who := listenerCommand(port); who != "" {
		t.Errorf("after stop port %d is still served by %q", port, who)
	}
}
