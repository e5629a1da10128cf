package engine

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Account is who the person is on the engine's host when it is reached
// over SSH: that host's uid, not this computer's, tells people apart there
// (two laptops may both be uid 1000) and is who Jupyter must run as for
// files in a folder of that host to be theirs.
type Account struct {
	UID, GID int
	Name     string
}

// accountTimeout bounds the `id` run on the host; through the control
// master that is a few milliseconds, without one (Windows) a new login.
const accountTimeout = 20 * time.Second

// account asks the engine's host who we are, through the same ssh (its
// options, control master and user) as the engine's connection. The
// command is a constant: nothing of ours reaches the remote shell.
func (t *Tunnel) account(ctx context.Context) (*Account, error) {
	ctx, cancel := context.WithTimeout(ctx, accountTimeout)
	defer cancel()
	args, err := t.args()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "ssh", append(args, "echo "+accountMarker+"; id -u; id -g; id -un")...)
	out, err := cmd.Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
			msg = strings.TrimSpace(string(ee.Stderr))
		}
		return nil, fmt.Errorf("ask %s which account the app logs in as (id): %s", t.spec.Host, msg)
	}
	return parseAccount(string(out))
}

// accountMarker comes before id's answer: what a login script prints
// before it is not taken for the account.
const accountMarker = "neurodesk-account"

// parseAccount reads the three lines of `id -u; id -g; id -un` after the
// marker.
func parseAccount(out string) (*Account, error) {
	i := strings.LastIndex(out, accountMarker+"\n")
	if i < 0 {
		return nil, fmt.Errorf("read the account on the engine's host: `id` answered %q", out)
	}
	f := strings.Fields(out[i+len(accountMarker):])
	if len(f) != 3 {
		return nil, fmt.Errorf("read the account on the engine's host: `id` answered %q", out)
	}
	uid, err1 := strconv.Atoi(f[0])
	gid, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || uid < 0 || gid < 0 {
		return nil, fmt.Errorf("read the account on the engine's host: `id` answered %q", out)
	}
	return &Account{UID: uid, GID: gid, Name: f[2]}, nil
}
