package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
)

// Driving a job: one process at a time starts its runs and records their
// ends (the command that submitted it, `jobs resume`, or the window that
// reran it); anything else only looks (Look) or asks to cancel (Cancel).
// Each step starts from the record on disk, so that what another process
// recorded as ended (a cancel, say) stays so.

// errFatal marks what a driver cannot get past by trying again.
type errFatal struct{ error }

func (e errFatal) Unwrap() error { return e.error }

// Drive runs the job to its end: it starts pending runs while fewer than
// AtOnce run, follows the running ones (their progress from the saved
// output), and records each as it ends. A passing failure (the engine slow
// to answer once) is tried again; cancelling ctx leaves the runs going,
// and Drive again carries on.
func (l *Local) Drive(ctx context.Context, j Job) (Job, error) {
	poll := l.Poll
	if poll == 0 {
		poll = 2 * time.Second
	}
	failures := 0
	for {
		next, err := l.step(ctx, j)
		j = next
		switch {
		case err == nil:
			failures = 0
		case ctx.Err() != nil:
			return j, ctx.Err()
		case errors.As(err, &errFatal{}) || failures >= 30:
			return j, err
		default:
			failures++
			slog.Warn("drive a job", "job", j.ID, "error", err)
		}
		if j.State().Done() {
			return j, nil
		}
		select {
		case <-ctx.Done():
			return j, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// StartSome does one step: the runs that may start now start, and the
// record says so; they then go on without a driver.
func (l *Local) StartSome(ctx context.Context, j Job) (Job, error) { return l.step(ctx, j) }

func (l *Local) sameEngine(j Job) bool {
	return j.Engine == "" || l.EngineID == "" || j.Engine == l.EngineID
}

func (l *Local) step(ctx context.Context, j Job) (Job, error) {
	if !l.sameEngine(j) {
		return j, errFatal{fmt.Errorf("job %s runs on another container engine (%s); connect to that one to go on with it", j.ID, j.Engine)}
	}
	j.Runs = slices.Clone(j.Runs) // the caller's copy is not changed under it
	if disk, err := l.Store.Load(j.ID); err == nil && len(disk.Runs) == len(j.Runs) {
		for i := range j.Runs {
			if disk.Runs[i].State.Done() && !j.Runs[i].State.Done() {
				j.Runs[i] = disk.Runs[i] // ended or cancelled elsewhere
			}
		}
	}
	before, _ := json.Marshal(j)
	running := 0
	var errs []error
	for i := range j.Runs {
		if j.Runs[i].State != Running {
			continue
		}
		if err := l.follow(ctx, &j, i); err != nil {
			errs = append(errs, err)
		}
		if j.Runs[i].State == Running {
			running++
		}
	}
	for i := range j.Runs {
		if running >= max(j.AtOnce, 1) || ctx.Err() != nil {
			break
		}
		if j.Runs[i].State != Pending {
			continue
		}
		if err := l.start(ctx, &j, i); err != nil {
			errs = append(errs, err)
			break
		}
		running++
	}
	if after, _ := json.Marshal(j); !bytes.Equal(before, after) {
		if err := l.Store.Save(j); err != nil {
			return j, errFatal{err}
		}
		if l.OnChange != nil {
			l.OnChange(j)
		}
	}
	return j, errors.Join(errs...)
}

// follow reads a running run's progress, and records its end.
func (l *Local) follow(ctx context.Context, j *Job, i int) error {
	r := &j.Runs[i]
	r.Progress = progressOf(r.Output, r.Progress)
	c, err := l.Engine.InspectContainer(ctx, r.Container)
	if err != nil {
		if gone(err) {
			r.State, r.Ended, r.Reason = Failed, l.now(), "its container was removed by something other than the app"
			return l.record(*j, i)
		}
		return fmt.Errorf("look at run %d of job %s: %w", i, j.ID, err)
	}
	if c.Labels[LabelJob] != j.ID {
		return errFatal{fmt.Errorf("container %s is not run %d of job %s", r.Container, i, j.ID)}
	}
	if c.Running {
		return nil
	}
	if c.Status == "created" { // its driver died before it started it
		return l.Engine.StartContainer(ctx, c.ID)
	}
	ended(r, c, l.now())
	l.keepLog(ctx, *j, i)
	if err := l.Engine.RemoveContainer(context.WithoutCancel(ctx), c.ID); err != nil {
		return err
	}
	return l.record(*j, i)
}

func gone(err error) bool {
	return strings.Contains(strings.ToLower(err.Error()), "no such container")
}

// progressOf reads an output notebook's progress; a file being written
// keeps the progress as it was.
func progressOf(output string, was Progress) Progress {
	b, err := os.ReadFile(output)
	if err != nil {
		return was
	}
	if p, err := ReadProgress(b); err == nil {
		return p
	}
	return was
}

// ended records a run's end from its container's.
func ended(r *Run, c engine.Container, now time.Time) {
	code := c.ExitCode
	r.ExitCode, r.Ended = &code, now
	switch {
	case r.State == Cancelled:
	case code == 0 && r.Progress.Failed == nil:
		r.State = Succeeded
	default:
		r.State, r.Reason = Failed, reason(*r, c)
	}
}

// Look is the job as its containers say now, changing nothing (no record,
// no container started or removed): what a view shows while another
// process may drive the job.
func (l *Local) Look(ctx context.Context, j Job) Job {
	if !l.sameEngine(j) {
		return j
	}
	j.Runs = slices.Clone(j.Runs) // the caller's stay as they were
	for i := range j.Runs {
		r := &j.Runs[i]
		if r.State != Running {
			continue
		}
		r.Progress = progressOf(r.Output, r.Progress)
		if c, err := l.Engine.InspectContainer(ctx, r.Container); err == nil && !c.Running && c.Status != "created" && c.Labels[LabelJob] == j.ID {
			ended(r, c, l.now())
		}
	}
	return j
}

func (l *Local) record(j Job, i int) error {
	if _, err := os.Stat(filepath.Dir(j.Runs[i].Output)); err != nil {
		return nil // the notebook's folder is gone: nothing to record beside
	}
	return WriteCrate(j, i, l.AppVersion)
}

// reason says, for a person, why a run failed.
func reason(r Run, c engine.Container) string {
	switch {
	case r.Progress.Failed != nil:
		f := r.Progress.Failed
		return fmt.Sprintf("cell %d of %d raised %s: %s", f.Cell, r.Progress.Total, f.Name, f.Value)
	case c.OOMKilled:
		return "it ran out of memory (the run's memory limit); give it more with --memory"
	}
	return fmt.Sprintf("papermill exited with code %d before the notebook ran to its end (its log says why)", c.ExitCode)
}

// LogPath is where run i's log is kept once its container is gone.
func (s Store) LogPath(j Job, i int) string {
	return filepath.Join(s.Dir, j.ID, fmt.Sprintf("run-%d.log", i))
}

func (l *Local) keepLog(ctx context.Context, j Job, i int) {
	var buf bytes.Buffer
	_ = l.Engine.Logs(context.WithoutCancel(ctx), j.Runs[i].Container, "all", false, &buf) // what there is
	p := l.Store.LogPath(j, i)
	if os.MkdirAll(filepath.Dir(p), 0o700) == nil {
		_ = os.WriteFile(p, buf.Bytes(), 0o600)
	}
}

// Cancel stops the job's running runs (gracefully: papermill saves what
// ran), removes those made but not started, and marks the pending ones
// cancelled. It works from the record on disk; a driver takes it from there.
func (l *Local) Cancel(ctx context.Context, j Job) (Job, error) {
	if disk, err := l.Store.Load(j.ID); err == nil {
		j = disk
	}
	if !l.sameEngine(j) {
		return j, fmt.Errorf("job %s runs on another container engine (%s); connect to that one to cancel it", j.ID, j.Engine)
	}
	var errs []error
	for i := range j.Runs {
		r := &j.Runs[i]
		switch r.State {
		case Pending:
			r.State, r.Ended = Cancelled, l.now()
		case Running:
			r.State = Cancelled
			c, err := l.Engine.InspectContainer(ctx, r.Container)
			switch {
			case err != nil && gone(err):
				r.Ended = l.now()
				continue
			case err != nil:
				errs = append(errs, err)
				continue
			case c.Labels[LabelJob] != j.ID:
				continue // not ours to touch
			case c.Status == "created":
				r.Ended = l.now()
				_ = l.Engine.RemoveContainer(context.WithoutCancel(ctx), c.ID) // ours, never started
				continue
			}
			if err := l.Engine.StopContainer(ctx, c.ID, 10*time.Second); err != nil {
				errs = append(errs, err)
				continue
			}
			if err := l.follow(ctx, &j, i); err != nil { // records its end
				errs = append(errs, err)
			}
		}
	}
	if err := l.Store.Save(j); err != nil {
		errs = append(errs, err)
	}
	return j, errors.Join(errs...)
}

// Log writes run i's log: from its container while it runs (the engine
// reached), else the copy kept when it ended.
func (l *Local) Log(ctx context.Context, j Job, i int, w io.Writer) error {
	r := j.Runs[i]
	if r.State == Running && l.Engine != nil {
		if err := l.Engine.Logs(ctx, r.Container, "all", false, w); err == nil {
			return nil
		}
	}
	b, err := os.ReadFile(l.Store.LogPath(j, i))
	if err != nil {
		if r.State == Running || r.State == Pending {
			return fmt.Errorf("run %d of job %s has no log yet here (the engine is not reached, or it has not started)", i+1, j.ID)
		}
		return fmt.Errorf("the log of run %d of job %s: %w", i+1, j.ID, err)
	}
	_, err = w.Write(b)
	return err
}
