package cluster

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Runner runs a shell command on the cluster's login node, as the user,
// with stdin, and returns what it printed.
type Runner interface {
	Run(ctx context.Context, stdin, command string) (string, error)
}

// SSH runs commands on the login node with OpenSSH: the user's keys,
// agent, passphrase and password prompts (the terminal's, or ssh-askpass
// for the window), known_hosts and ~/.ssh/config apply.
type SSH struct {
	Destination string   // user@host, host, an ssh_config alias, or ssh://user@host:port
	Options     []string // before the destination: -F FILE, -o …
	// Shared: Options name a control master (everywhere but Windows), which
	// the commands and the tunnel share, so that a passphrase is asked
	// once, not at each look at the queue or each reconnect.
	Shared bool
}

// alive makes ssh notice a dead network in under a minute (a master
// would otherwise hold a dead connection for hours) and give up on a
// login node that does not answer in 20 s.
var alive = []string{"-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=3", "-o", "ConnectTimeout=20"}

var badDestination = regexp.MustCompile(`^-|[\s\x00]`)

// maxOutput bounds what a command on the cluster may print (a job's log
// is read by its tail; the queue is a few lines).
const maxOutput = 4 << 20

// Run implements Runner; a destination that ssh would read as an option
// is refused. The command runs under /bin/sh whatever the person's login
// shell (csh, tcsh and fish read sh's syntax otherwise), and what it
// prints is told from what the login shell's start-up files print by
// marks only this call knows.
func (s SSH) Run(ctx context.Context, stdin, command string) (string, error) {
	if err := s.check(); err != nil {
		return "", err
	}
	mark, err := NewNonce()
	if err != nil {
		return "", err
	}
	args := append(append(append([]string{}, s.Options...), alive...), "--", s.Destination, underSh(command, mark))
	cmd := exec.CommandContext(ctx, "ssh", args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr strings.Builder
	cmd.Stderr = &capped{w: &stderr, left: 64 << 10}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", fmt.Errorf("on %s: %w", s.Destination, err)
	}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("on %s: %w", s.Destination, err)
	}
	raw, rerr := io.ReadAll(io.LimitReader(stdout, maxOutput+1))
	if len(raw) > maxOutput {
		_ = cmd.Process.Kill()
	}
	err = cmd.Wait()
	what := strings.Fields(command)[0]
	if len(raw) > maxOutput {
		return "", fmt.Errorf("on %s, %s printed more than %d bytes; refused", s.Destination, what, maxOutput)
	}
	out, code, framed := unframe(string(raw), mark)
	switch {
	case rerr != nil:
		return "", fmt.Errorf("on %s, %s: %w", s.Destination, what, rerr)
	case !framed && err == nil:
		return "", fmt.Errorf("on %s, %s: its output did not arrive whole", s.Destination, what)
	case err != nil || code != 0:
		if err == nil {
			err = fmt.Errorf("exit status %d", code)
		}
		return out, fmt.Errorf("on %s, %s: %w: %s", s.Destination, what, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// underSh is command as the login shell runs it: /bin/sh reading it from
// a base64 word, which every shell passes on as it is, between marks.
func underSh(command, mark string) string {
	script := "printf '" + frameBegin(mark) + "\\n'\n" + command + "\nrc=$?\nprintf '\\n" + frameEnd(mark) + " %d\\n' \"$rc\"\nexit \"$rc\"\n"
	return "/bin/sh -c 'eval \"$(echo " + base64.StdEncoding.EncodeToString([]byte(script)) + " | base64 -d)\"'"
}

func frameBegin(mark string) string { return "neurodeskapp-" + mark + "-begin" }
func frameEnd(mark string) string   { return "neurodeskapp-" + mark + "-end" }

// unframe is what the command printed, and its exit code; framed is false
// when the marks are not both there.
func unframe(raw, mark string) (out string, code int, framed bool) {
	_, rest, ok := strings.Cut(raw, frameBegin(mark)+"\n")
	if !ok {
		return "", 0, false
	}
	i := strings.LastIndex(rest, "\n"+frameEnd(mark)+" ")
	if i < 0 {
		return "", 0, false
	}
	tail := strings.TrimSpace(rest[i+len(frameEnd(mark))+2:])
	code, err := strconv.Atoi(tail)
	if err != nil {
		return "", 0, false
	}
	return rest[:i], code, true
}

// capped writes at most left bytes to w.
type capped struct {
	w    io.Writer
	left int
}

func (c *capped) Write(p []byte) (int, error) {
	if c.left > 0 {
		n := min(len(p), c.left)
		c.left -= n
		_, _ = c.w.Write(p[:n])
	}
	return len(p), nil
}

func (s SSH) check() error {
	if s.Destination == "" || badDestination.MatchString(s.Destination) {
		return fmt.Errorf("%q is not a login node's address", s.Destination)
	}
	return nil
}

// Client drives SLURM on the login node.
type Client struct{ Login Runner }

var jobID = regexp.MustCompile(`^[0-9]+$`)

// NewNonce names one start: its secrets file, and the endpoint its job
// records, so that an endpoint left by another job is never taken for it.
func NewNonce() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("name the start: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Submit writes the start's secrets (the token, then the job's TLS
// certificate and key) into a file only the user can read, then submits
// the job that reads them; it returns the job's id.
func (c Client) Submit(ctx context.Context, j Job, nonce, token string, id Identity) (string, error) {
	if errs := j.Validate(); len(errs) > 0 {
		return "", fmt.Errorf("the cluster job: %s", strings.Join(errs, "; "))
	}
	if !safeWord.MatchString(nonce) {
		return "", fmt.Errorf("%q is not a start's name", nonce)
	}
	secrets := StateDir + "/secrets-" + nonce
	// What earlier starts left: secrets never read (a job refused, or
	// cancelled before it ran), job folders and logs of jobs long gone.
	const tidy = " && find " + StateDir + " -maxdepth 1 \\( -name 'secrets-*' -mmin +1440 -o -name 'job-*.log' -mtime +14 -o -name 'job-*' -type d -mtime +35 \\) -exec rm -rf {} + 2>/dev/null; true"
	if _, err := c.Login.Run(ctx, token+"\n"+string(id.CertPEM)+string(id.KeyPEM), "cd && umask 077 && mkdir -p "+StateDir+" && chmod 700 "+StateDir+" && cat > "+secrets+tidy); err != nil {
		return "", fmt.Errorf("write the session's secrets on the cluster: %w", err)
	}
	out, err := c.Login.Run(ctx, Script(j, nonce), "cd && sbatch --parsable")
	if err == nil {
		var jobID string
		if jobID, err = ParseSubmitted(out); err == nil {
			return jobID, nil
		}
	}
	_, _ = c.Login.Run(ctx, "", "cd && rm -f "+secrets) // the job will not read it
	return "", fmt.Errorf("submit the job: %w", err)
}

// Jobs are the user's Neurodesktop jobs in the queue (pending or running).
func (c Client) Jobs(ctx context.Context) ([]Queued, error) {
	// --user, not --me: Slurm before 20.11 has no --me.
	out, err := c.Login.Run(ctx, "", "squeue --user=\"$(id -un)\" --noheader --name="+JobName+" --format="+quote(QueueFormat))
	if err != nil {
		return nil, fmt.Errorf("read the queue: %w", err)
	}
	return ParseQueue(out)
}

// Endpoint is where a running job's JupyterLab listens: the address and
// port its script recorded once Jupyter itself held the port ("" while it
// has not yet, or when what is there was recorded for another start).
func (c Client) Endpoint(ctx context.Context, id, nonce string) (addr string, port int, err error) {
	if !jobID.MatchString(id) {
		return "", 0, fmt.Errorf("%q is not a job id", id)
	}
	out, err := c.Login.Run(ctx, "", "cd && cat "+StateDir+"/job-"+id+"/endpoint 2>/dev/null || true")
	if err != nil {
		return "", 0, fmt.Errorf("read where job %s listens: %w", id, err)
	}
	f := strings.Fields(out)
	if len(f) != 3 || f[0] != nonce {
		return "", 0, nil
	}
	port, err = strconv.Atoi(f[2])
	if err != nil || port <= 0 || port > 65535 || !safeWord.MatchString(f[1]) {
		return "", 0, fmt.Errorf("job %s says it listens on %q", id, strings.TrimSpace(out))
	}
	return f[1], port, nil
}

// Clean removes what job id kept on the cluster (its token, certificate
// and key, where it listened) once it has ended; its log stays a while,
// for the "job ended" screen.
func (c Client) Clean(ctx context.Context, id string) error {
	if !jobID.MatchString(id) {
		return fmt.Errorf("%q is not a job id", id)
	}
	if _, err := c.Login.Run(ctx, "", "cd && rm -rf "+StateDir+"/job-"+id); err != nil {
		return fmt.Errorf("remove what job %s kept: %w", id, err)
	}
	return nil
}

// Signal sends SIGTERM to the running job's script, which ends
// Neurodesktop gracefully; Cancel is what ends the job for certain.
func (c Client) Signal(ctx context.Context, id string) error {
	if !jobID.MatchString(id) {
		return fmt.Errorf("%q is not a job id", id)
	}
	if _, err := c.Login.Run(ctx, "", "scancel --batch --signal=TERM "+id); err != nil {
		return fmt.Errorf("ask job %s to end: %w", id, err)
	}
	return nil
}

// Cancel ends the job: SLURM sends its programs SIGTERM, then SIGKILL.
func (c Client) Cancel(ctx context.Context, id string) error {
	if !jobID.MatchString(id) {
		return fmt.Errorf("%q is not a job id", id)
	}
	if _, err := c.Login.Run(ctx, "", "scancel "+id); err != nil {
		return fmt.Errorf("cancel job %s: %w", id, err)
	}
	return nil
}

// Ended says how a job that left the queue ended, from SLURM's record
// (kept for a few minutes: state and reason are "" once it is gone), and
// the end of its log.
func (c Client) Ended(ctx context.Context, id string) (state, reason, logTail string, err error) {
	if !jobID.MatchString(id) {
		return "", "", "", fmt.Errorf("%q is not a job id", id)
	}
	out, err := c.Login.Run(ctx, "", "scontrol show job -o "+id+" 2>/dev/null || true")
	if err != nil {
		return "", "", "", fmt.Errorf("read how job %s ended: %w", id, err)
	}
	var ran, limit time.Duration
	for _, f := range strings.Fields(out) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "JobState":
			state = v
		case "Reason":
			if v != "None" {
				reason = v
			}
		case "RunTime":
			ran, _ = parseDuration(v)
		case "TimeLimit":
			limit, _ = parseDuration(v)
		}
	}
	// The job asks Jupyter to end a minute before its limit (--signal), so
	// a job out of time usually ends of its own accord just before it.
	if (state == "COMPLETED" || state == "FAILED") && limit > 0 && ran >= limit-2*time.Minute {
		state = "TIMEOUT"
	}
	logTail, err = c.Log(ctx, id, 40)
	return state, reason, logTail, err
}

// Log is the last lines of the job's log (what Neurodesktop printed).
func (c Client) Log(ctx context.Context, id string, lines int) (string, error) {
	if !jobID.MatchString(id) {
		return "", fmt.Errorf("%q is not a job id", id)
	}
	out, err := c.Login.Run(ctx, "", fmt.Sprintf("cd && tail -n %d %s/job-%s.log 2>/dev/null || true", lines, StateDir, id))
	if err != nil {
		return "", fmt.Errorf("read job %s's log: %w", id, err)
	}
	return out, nil
}
