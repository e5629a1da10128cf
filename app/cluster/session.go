package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/neurodesk/neurodeskapp/app/atomicfile"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/session"
)

// Sessions starts, finds and stops the person's Neurodesktop job on one
// cluster: one job at a time, like one container on an engine.
type Sessions struct {
	Login SSH
	// Tokens is the file (private, on this computer) where each job's token
	// is kept, so that a restarted app can reach the job again.
	Tokens string
	Client *http.Client
	// Poll is how often the queue is read (0: every 2 s).
	Poll time.Duration
}

// Progress is what the person sees while the job waits and starts.
type Progress struct {
	JobID   string
	State   string // PENDING, RUNNING
	Node    string // where it runs
	Message string
}

// Running is a job whose JupyterLab answers through the tunnel.
type Running struct {
	JobID, Node string
	BaseURL     string // http://127.0.0.1:PORT, the tunnel's end
	Token       string
	// Ends is when SLURM ends the job (its walltime), zero when unlimited.
	Ends time.Time
	// Adopted is a job that was already queued or running.
	Adopted bool
	tunnel  *Tunnel
	nonce   string // the start's name, in its endpoint
}

// Close ends the tunnel; the job goes on.
func (r *Running) Close() {
	if r.tunnel != nil {
		r.tunnel.Close()
	}
}

// WalltimeWarning is how long before the job's end the person is told.
const WalltimeWarning = 15 * time.Minute

// BeforeEnd calls warn WalltimeWarning before the job's time is up (at
// once when less is left; never for an unlimited job) unless stop is
// called first.
func (r *Running) BeforeEnd(warn func()) (stop func()) {
	if r.Ends.IsZero() {
		return func() {}
	}
	t := time.AfterFunc(time.Until(r.Ends)-WalltimeWarning, warn)
	return func() { t.Stop() }
}

// LabURL is JupyterLab's address with the token, for this computer.
func (r *Running) LabURL() string { return r.BaseURL + "/lab?token=" + r.Token }

func (s Sessions) client() Client { return Client{Login: s.Login} }

// Jobs are the person's Neurodesktop jobs on the cluster; when there are
// none, the login made to look is ended.
func (s Sessions) Jobs(ctx context.Context) ([]Queued, error) {
	jobs, err := s.client().Jobs(ctx)
	if err == nil && len(jobs) == 0 {
		err = s.Login.Logout(ctx)
	}
	return jobs, err
}

func (s Sessions) poll() time.Duration {
	if s.Poll > 0 {
		return s.Poll
	}
	return 2 * time.Second
}

// Start reaches the person's job on the cluster, submitting one when none
// is queued or running.
func (s Sessions) Start(ctx context.Context, j Job, onProgress func(Progress)) (*Running, error) {
	if r, found, err := s.adopt(ctx, onProgress, false); found || err != nil {
		return r, err
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("make the session's token: %w", err)
	}
	k := kept{Token: hex.EncodeToString(b)}
	ident, err := NewIdentity(time.Now())
	if err != nil {
		return nil, err
	}
	if k.Nonce, err = NewNonce(); err != nil {
		return nil, err
	}
	k.Cert = string(ident.CertPEM)
	id, err := s.client().Submit(ctx, j, k.Nonce, k.Token, ident)
	if err != nil {
		_ = s.Login.Logout(context.WithoutCancel(ctx)) // no job to look at
		return nil, &problem.Error{Code: problem.InvalidSettings, Message: "The cluster did not take the job",
			Remedy: "Check the partition, account and resources with your cluster's documentation.", Err: err}
	}
	if err := s.remember(id, k); err != nil {
		_ = s.client().Cancel(context.WithoutCancel(ctx), id) // unreachable after a restart: do not leave it
		return nil, err
	}
	return s.reach(ctx, id, k, onProgress)
}

// Adopt reaches the person's job when one is queued or running; found is
// false when there is none.
func (s Sessions) Adopt(ctx context.Context, onProgress func(Progress)) (r *Running, found bool, err error) {
	return s.adopt(ctx, onProgress, true)
}

// adopt is Adopt; alone says no start follows, so a login that finds no
// job is ended.
func (s Sessions) adopt(ctx context.Context, onProgress func(Progress), alone bool) (r *Running, found bool, err error) {
	jobs, err := s.client().Jobs(ctx)
	if err != nil {
		return nil, false, &problem.Error{Code: problem.RemoteUnreachable, Message: "Could not read the cluster's queue",
			Remedy: "Check that you can log in to " + s.Login.Destination + " with ssh.", Err: err}
	}
	s.forgetGone(jobs) // ended while the app was closed: nothing to look for at the next launch
	if len(jobs) == 0 {
		if alone {
			return nil, false, s.Login.Logout(ctx) // nothing to reach: no login stays
		}
		return nil, false, nil
	}
	// The job this computer started; another's is shown, never taken.
	id := jobs[0].ID
	mine := s.tokens()
	for _, j := range jobs {
		if _, ok := mine[s.Login.Destination+" "+j.ID]; ok {
			id = j.ID
			break
		}
	}
	k, ok := mine[s.Login.Destination+" "+id]
	if !ok {
		return nil, true, &problem.Error{Code: problem.OtherUser, Message: fmt.Sprintf("Neurodesktop job %s on %s was started from another computer", id, s.Login.Destination),
			Remedy: "Reach it from that computer, or stop it (scancel " + id + ") and start again here."}
	}
	if k.Cert == "" {
		return nil, true, &problem.Error{Code: problem.OtherUser, Message: fmt.Sprintf("Neurodesktop job %s on %s was started by an older version of the app", id, s.Login.Destination),
			Remedy: "Stop it (Stop, or scancel " + id + ") and start again: this version checks that it talks to the job's own Jupyter."}
	}
	if r, err = s.reach(ctx, id, k, onProgress); r != nil {
		r.Adopted = true
	}
	return r, true, err
}

// reach waits for the job to run and say where it listens, opens the
// tunnel and waits for JupyterLab to answer through it.
func (s Sessions) reach(ctx context.Context, id string, k kept, onProgress func(Progress)) (*Running, error) {
	c := s.client()
	pin, err := Pinned([]byte(k.Cert))
	if err != nil {
		return nil, err
	}
	var last Progress
	report := func(p Progress) { // once per change, not each time the queue is read
		if p != last && onProgress != nil {
			onProgress(p)
		}
		last = p
	}
	var tunnel *Tunnel
	fail := func(err error) (*Running, error) {
		if tunnel != nil {
			tunnel.Close()
		}
		return nil, err
	}
	for {
		q, err := s.job(ctx, id)
		if err != nil {
			return fail(err)
		}
		switch {
		case q == nil:
			return fail(s.ended(ctx, id))
		case q.State == "PENDING":
			report(Progress{JobID: id, State: q.State, Message: q.Waiting(time.Now())})
		case q.State == "RUNNING":
			// What the image is doing, from the job's log.
			msg := "Starting Neurodesktop on " + q.Node + "."
			if st, ok := startupStage(ctx, c, id); ok {
				msg = st.Text
			}
			report(Progress{JobID: id, State: q.State, Node: q.Node, Message: msg})
		}
		if q.State == "RUNNING" && tunnel == nil {
			addr, port, err := c.Endpoint(ctx, id, k.Nonce)
			if err != nil {
				return fail(err)
			}
			if addr != "" {
				if tunnel, err = s.Login.Forward(ctx, addr, port, pin); err != nil {
					return fail(fmt.Errorf("reach job %s: %w", id, err))
				}
			}
		}
		if tunnel != nil {
			// Through the app's own port, whose far end has shown the job's
			// certificate: the token goes to the job's Jupyter or nowhere.
			if _, err := session.ConnectRemote(ctx, s.Client, "http://"+tunnel.Local, k.Token, false); err == nil {
				r := &Running{JobID: id, Node: q.Node, BaseURL: "http://" + tunnel.Local, Token: k.Token, tunnel: tunnel, nonce: k.Nonce}
				if q.TimeLeft >= 0 {
					r.Ends = time.Now().Add(q.TimeLeft)
				}
				return r, nil
			}
		}
		select {
		case <-ctx.Done():
			return fail(ctx.Err())
		case <-time.After(s.poll()):
		}
	}
}

// Watch waits while the job runs; when it leaves the queue it returns how
// it ended (walltime, a failed node, its log). A job the cluster requeued
// (a node's failure, preemption) is followed: once it runs again and its
// Jupyter no longer answers where it did, the tunnel goes to where it
// listens now, on the same local port.
func (s Sessions) Watch(ctx context.Context, r *Running) error {
	requeued := false
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * s.poll()):
		}
		q, err := s.queued(ctx, r.JobID)
		switch {
		case err != nil:
		case q == nil:
			return s.ended(ctx, r.JobID)
		case q.State == "COMPLETING": // ending, or being requeued: the queue says which next
		case q.State == "PENDING":
			if !requeued {
				slog.Info("the cluster requeued the job; it will start again", "job", r.JobID, "reason", q.Reason)
			}
			requeued = true
		case q.State == "RUNNING" && r.tunnel != nil && !r.tunnel.reaches(ctx):
			// Until its Jupyter holds a port the endpoint is the old run's.
			if addr, port, err := s.client().Endpoint(ctx, r.JobID, r.nonce); err == nil && addr != "" && addr+":"+strconv.Itoa(port) != r.tunnel.target() {
				if err := r.tunnel.Retarget(addr, port); err == nil {
					slog.Info("the requeued job runs again", "job", r.JobID, "node", q.Node)
					r.Node, requeued = q.Node, false
				}
			}
		}
	}
}

// startupStage is the latest start-up stage in the job's log.
func startupStage(ctx context.Context, c Client, id string) (session.Stage, bool) {
	log, err := c.Log(ctx, id, 200)
	var last session.Stage
	found := false
	for _, line := range strings.Split(log, "\n") {
		if st, ok := session.StartupStage(line); ok && err == nil {
			last, found = st, true
		}
	}
	return last, found
}

// job is the queue's line for id, nil once it has left the queue or is
// completing.
func (s Sessions) job(ctx context.Context, id string) (*Queued, error) {
	q, err := s.queued(ctx, id)
	if q != nil && q.State == "COMPLETING" {
		return nil, err
	}
	return q, err
}

// queued is the queue's line for id, nil once it has left the queue.
func (s Sessions) queued(ctx context.Context, id string) (*Queued, error) {
	jobs, err := s.client().Jobs(ctx)
	if err != nil {
		return nil, err
	}
	for i := range jobs {
		if jobs[i].ID == id {
			return &jobs[i], nil
		}
	}
	return nil, nil
}

// ended is the error for a job that left the queue: SLURM's reason in
// words, and the job's log.
func (s Sessions) ended(ctx context.Context, id string) error {
	state, reason, log, err := s.client().Ended(ctx, id)
	if err != nil {
		return err
	}
	_ = s.client().Clean(ctx, id)
	_ = s.forget(id)
	_ = s.Login.Logout(ctx) // nothing left to reach
	msg := fmt.Sprintf("The cluster job %s ended", id)
	if w := map[string]string{"TIMEOUT": "its time limit was reached", "PREEMPTED": "a job with a higher priority took its place",
		"NODE_FAIL": "its node failed", "CANCELLED": "it was cancelled", "OUT_OF_MEMORY": "it ran out of memory",
		"FAILED": "Neurodesktop stopped with an error"}[state]; w != "" {
		msg += ": " + w
	} else if state != "" {
		msg += " (SLURM says " + state + ")"
	}
	if reason != "" {
		msg += " (" + reason + ")"
	}
	return &problem.Error{Code: problem.ContainerExited, Message: msg,
		Remedy: "Start it again; its log is ~/" + StateDir + "/job-" + id + ".log on the cluster.", Err: &Ended{Log: problem.Redact(strings.TrimSpace(log))}}
}

// Ended carries the end of an ended job's log (its tokens redacted: it
// is shown, and Jupyter prints its address with the token), as a failed
// container's log is shown.
type Ended struct{ Log string }

func (e *Ended) Error() string { return e.Log }

// EndedLog is the log's lines when err says a job ended, else nil.
func EndedLog(err error) []string {
	var e *Ended
	if !errors.As(err, &e) || e.Log == "" {
		return nil
	}
	return strings.Split(e.Log, "\n")
}

// Stop ends the person's job that this computer started: a running one is
// asked first (its script stops Jupyter, which saves and ends), then SLURM
// cancels what is left. It waits until the job has left the queue. Jobs
// started from another computer are left alone.
func (s Sessions) Stop(ctx context.Context) error {
	c := s.client()
	all, err := c.Jobs(ctx)
	if err != nil {
		return fmt.Errorf("stop the cluster job: %w", err)
	}
	mine := s.tokens()
	var jobs []Queued
	for _, j := range all {
		if _, ok := mine[s.Login.Destination+" "+j.ID]; ok {
			jobs = append(jobs, j)
		}
	}
	// Once gone: what they kept on the cluster and here, then the login.
	done := func() error {
		for _, j := range jobs {
			_ = c.Clean(ctx, j.ID)
			_ = s.forget(j.ID)
		}
		return s.Login.Logout(ctx)
	}
	asked := false
	for _, j := range jobs {
		if j.State == "RUNNING" {
			asked = c.Signal(ctx, j.ID) == nil || asked
		}
	}
	if asked && s.gone(ctx, jobs, 45*time.Second) == nil {
		return done()
	}
	for _, j := range jobs {
		if err := c.Cancel(ctx, j.ID); err != nil {
			return err
		}
	}
	if err := s.gone(ctx, jobs, 2*time.Minute); err != nil {
		return fmt.Errorf("stop the cluster job: %w", err)
	}
	return done()
}

// gone waits until none of jobs is in the queue.
func (s Sessions) gone(ctx context.Context, jobs []Queued, within time.Duration) error {
	for deadline := time.Now().Add(within); ; {
		queued, err := s.client().Jobs(ctx)
		left := slices.ContainsFunc(queued, func(q Queued) bool {
			return slices.ContainsFunc(jobs, func(j Queued) bool { return j.ID == q.ID })
		})
		if err == nil && !left {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still in the queue after %s: %+v %v", within, jobs, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(s.poll()):
		}
	}
}

// kept is what this computer keeps of a job it started: its token, the
// certificate its Jupyter must show, and the start's name.
type kept struct {
	Token string `json:"token"`
	Cert  string `json:"cert,omitempty"`
	Nonce string `json:"nonce,omitempty"`
}

// tokens reads what is kept of each job, keyed by "destination id". An
// older app kept the token alone: such a job cannot be checked.
func (s Sessions) tokens() map[string]kept {
	raw := map[string]json.RawMessage{}
	if b, err := os.ReadFile(s.Tokens); err == nil {
		_ = json.Unmarshal(b, &raw) // unreadable: as if none were kept
	}
	m := map[string]kept{}
	for key, v := range raw {
		var k kept
		if json.Unmarshal(v, &k) != nil {
			_ = json.Unmarshal(v, &k.Token)
		}
		m[key] = k
	}
	return m
}

func (s Sessions) remember(id string, k kept) error {
	m := s.tokens()
	m[s.Login.Destination+" "+id] = k
	return s.save(m)
}

// forgetGone forgets the jobs on this cluster that are no longer queued.
func (s Sessions) forgetGone(queued []Queued) {
	m := s.tokens()
	changed := false
	for key := range m {
		dest, id, _ := strings.Cut(key, " ")
		if dest == s.Login.Destination && !slices.ContainsFunc(queued, func(q Queued) bool { return q.ID == id }) {
			delete(m, key)
			changed = true
		}
	}
	if changed {
		_ = s.save(m)
	}
}

func (s Sessions) forget(id string) error {
	m := s.tokens()
	delete(m, s.Login.Destination+" "+id)
	return s.save(m)
}

func (s Sessions) save(m map[string]kept) error {
	b, _ := json.Marshal(m)
	if err := atomicfile.Write(s.Tokens, b, 0o600); err != nil {
		return fmt.Errorf("keep the cluster job's token: %w", err)
	}
	return nil
}
