package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
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

// alive makes ssh notice a dead network in under a minute; a master
// would otherwise hold a dead connection for hours.
var alive = []string{"-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=3"}

var badDestination = regexp.MustCompile(`^-|[\s\x00]`)

// Run implements Runner; a destination that ssh would read as an option
// is refused.
func (s SSH) Run(ctx context.Context, stdin, command string) (string, error) {
	if err := s.check(); err != nil {
		return "", err
	}
	args := append(append(append([]string{}, s.Options...), alive...), "--", s.Destination, command)
	cmd := exec.CommandContext(ctx, "ssh", args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("on %s, %s: %w: %s", s.Destination, strings.Fields(command)[0], err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
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

// Submit writes token into a file only the user can read, then submits
// the job that reads it; it returns the job's id.
func (c Client) Submit(ctx context.Context, j Job, token string) (string, error) {
	if errs := j.Validate(); len(errs) > 0 {
		return "", fmt.Errorf("the cluster job: %s", strings.Join(errs, "; "))
	}
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make the token file's name: %w", err)
	}
	nonce := hex.EncodeToString(b)
	tokenFile := StateDir + "/token-" + nonce
	if _, err := c.Login.Run(ctx, token, "cd && umask 077 && mkdir -p "+StateDir+" && chmod 700 "+StateDir+" && cat > "+tokenFile); err != nil {
		return "", fmt.Errorf("write the session's token on the cluster: %w", err)
	}
	out, err := c.Login.Run(ctx, Script(j, nonce), "cd && sbatch --parsable")
	if err == nil {
		var id string
		if id, err = ParseSubmitted(out); err == nil {
			return id, nil
		}
	}
	_, _ = c.Login.Run(ctx, "", "cd && rm -f "+tokenFile) // the job will not read it
	return "", fmt.Errorf("submit the job: %w", err)
}

// Jobs are the user's Neurodesktop jobs in the queue (pending or running).
func (c Client) Jobs(ctx context.Context) ([]Queued, error) {
	out, err := c.Login.Run(ctx, "", "squeue --me --noheader --name="+JobName+" --format="+quote(QueueFormat))
	if err != nil {
		return nil, fmt.Errorf("read the queue: %w", err)
	}
	return ParseQueue(out)
}

// Endpoint is where a running job's JupyterLab listens: the node and port
// its script recorded ("" while it has not yet).
func (c Client) Endpoint(ctx context.Context, id string) (node string, port int, err error) {
	if !jobID.MatchString(id) {
		return "", 0, fmt.Errorf("%q is not a job id", id)
	}
	out, err := c.Login.Run(ctx, "", "cd && cat "+StateDir+"/endpoint-"+id+" 2>/dev/null || true")
	if err != nil {
		return "", 0, fmt.Errorf("read where job %s listens: %w", id, err)
	}
	f := strings.Fields(out)
	if len(f) != 2 {
		return "", 0, nil
	}
	port, err = strconv.Atoi(f[1])
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("job %s says it listens on %q", id, strings.TrimSpace(out))
	}
	return f[0], port, nil
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
