package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
)

// Engine is what the local runner asks of the container engine.
type Engine interface {
	CreateContainer(ctx context.Context, s engine.ContainerSpec) (string, error)
	StartContainer(ctx context.Context, id string) error
	InspectContainer(ctx context.Context, nameOrID string) (engine.Container, error)
	StopContainer(ctx context.Context, id string, timeout time.Duration) error
	RemoveContainer(ctx context.Context, id string) error
	Logs(ctx context.Context, id string, tail string, follow bool, w io.Writer) error
}

// Labels of a run's container, beside the session's (managed, owner).
const (
	LabelJob = "org.neurodesk.app.job"
	LabelRun = "org.neurodesk.app.job-run"
)

// storageTarget is where the data folder is mounted in every container.
const storageTarget = "/neurodesktop-storage"

// Local runs a job's runs as containers of this computer's engine, at most
// AtOnce at a time. The containers are the engine's, not the app's: they
// go on when the app quits, and Drive, called again, finds them.
type Local struct {
	Engine Engine
	Store  Store
	// Base is a session's container (the image's contract: its user, its
	// privileges for the tools, the data folder); each run's is made from it.
	Base engine.ContainerSpec
	// FallBack, given a container the engine would not start and why,
	// returns one with fewer privileges to try instead (the session's
	// fallback), or false.
	FallBack   func(engine.ContainerSpec, error) (engine.ContainerSpec, bool)
	AppVersion string
	Host       string
	Poll       time.Duration
	Now        func() time.Time
	// OnChange is told of every change to the job (progress, a run's end).
	OnChange func(Job)
}

func (l *Local) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Spec is run i's container: the session's contract, with papermill in
// place of JupyterLab, the image pinned by digest, no published port, no
// home volume (runs do not share dotfiles with each other or the session),
// the tools mounted before the first cell, and the run's limits.
func (l *Local) Spec(j Job, i int) (engine.ContainerSpec, error) {
	r := j.Runs[i]
	s := l.Base
	s.Name = containerName(j, i)
	s.Image = j.ImageDigest
	s.Publish, s.MacAddress = nil, ""
	s.Labels = map[string]string{}
	for k, v := range l.Base.Labels {
		if strings.HasPrefix(k, "org.neurodesk.app.") && !strings.HasSuffix(k, ".port") {
			s.Labels[k] = v
		}
	}
	s.Labels["org.neurodesk.app.role"] = "job"
	s.Labels[LabelJob], s.Labels[LabelRun] = j.ID, fmt.Sprint(i)
	s.Mounts = nil
	for _, m := range l.Base.Mounts {
		if m.Target == storageTarget && j.DataFolder != "" {
			m.Source = j.DataFolder // the job's, whatever the settings say now
		}
		if !m.Volume {
			s.Mounts = append(s.Mounts, m)
		}
	}
	s.Env = nil
	for _, e := range l.Base.Env {
		if !strings.HasPrefix(e, "JUPYTER_TOKEN=") && !strings.HasPrefix(e, "NEURODESKTOP_CVMFS_STARTUP_MODE=") {
			s.Env = append(s.Env, e)
		}
	}
	if !contains(s.Env, "CVMFS_DISABLE=true") {
		// The tools before the first cell, not in the background.
		s.Env = append(s.Env, "NEURODESKTOP_CVMFS_STARTUP_MODE=eager")
	}
	if j.Resources.CPUs > 0 {
		s.NanoCPU = int64(j.Resources.CPUs * 1e9)
	}
	if j.Resources.MemoryGB > 0 {
		s.Memory = int64(j.Resources.MemoryGB * (1 << 30))
	}
	values, err := json.Marshal(r.Values)
	if err != nil {
		return s, fmt.Errorf("the values of run %d: %w", i, err)
	}
	in := path.Join(storageTarget, j.NotebookRel)
	out := path.Join(path.Dir(in), filepath.Base(r.Output))
	s.Cmd = []string{"start.sh", "papermill", "--request-save-on-cell-execute", "--no-progress-bar", "--log-output",
		"--cwd", path.Dir(in), "-y", string(values), in, out}
	return s, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containerName(j Job, i int) string { return "neurodeskapp-job-" + j.RunID(i) }

// Drive runs the job to its end: it starts pending runs while fewer than
// AtOnce run, follows the running ones (their progress from the saved
// output), and records each as it ends. Cancelling ctx leaves the runs
// going; Drive again carries on.
func (l *Local) Drive(ctx context.Context, j Job) (Job, error) {
	poll := l.Poll
	if poll == 0 {
		poll = 2 * time.Second
	}
	for {
		var err error
		if j, err = l.step(ctx, j, true); err != nil {
			return j, err
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

// Refresh brings the job's record up to date with its containers without
// starting anything.
func (l *Local) Refresh(ctx context.Context, j Job) (Job, error) {
	return l.step(ctx, j, false)
}

func (l *Local) step(ctx context.Context, j Job, start bool) (Job, error) {
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
		if !start || running >= max(j.AtOnce, 1) {
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
			return j, err
		}
		if l.OnChange != nil {
			l.OnChange(j)
		}
	}
	return j, errors.Join(errs...)
}

// start creates and starts run i's container. The record names the
// container before it starts, so a driver that dies in between is found
// again with it.
func (l *Local) start(ctx context.Context, j *Job, i int) error {
	r := &j.Runs[i]
	spec, err := l.Spec(*j, i)
	if err != nil {
		return err
	}
	id, err := l.Engine.CreateContainer(ctx, spec)
	if err != nil {
		// Made by an earlier driver that died before it saved: ours if it
		// says so.
		c, ierr := l.Engine.InspectContainer(ctx, spec.Name)
		if ierr != nil || c.Labels[LabelJob] != j.ID || c.Labels[LabelRun] != fmt.Sprint(i) {
			r.State, r.Reason, r.Ended = Failed, "the engine did not create its container: "+err.Error(), l.now()
			return nil
		}
		id = c.ID
	}
	r.State, r.Container, r.Started, r.Host = Running, spec.Name, l.now(), l.Host
	if err := l.Store.Save(*j); err != nil {
		return err
	}
	err = l.Engine.StartContainer(ctx, id)
	if l.FallBack != nil {
		if lesser, ok := l.FallBack(spec, err); ok {
			_ = l.Engine.RemoveContainer(context.WithoutCancel(ctx), id) // ours, never started
			l.Base, _ = l.FallBack(l.Base, err)                          // and so for the runs after it
			if id, err = l.Engine.CreateContainer(ctx, lesser); err == nil {
				err = l.Engine.StartContainer(ctx, id)
			}
		}
	}
	if err != nil {
		r.State, r.Reason, r.Ended = Failed, "the engine did not start its container: "+err.Error(), l.now()
		l.keepLog(ctx, *j, i)
		_ = l.Engine.RemoveContainer(context.WithoutCancel(ctx), id) // ours, never started
	}
	return nil
}

// follow reads a running run's progress, and records its end.
func (l *Local) follow(ctx context.Context, j *Job, i int) error {
	r := &j.Runs[i]
	if b, err := os.ReadFile(r.Output); err == nil {
		if p, err := ReadProgress(b); err == nil {
			r.Progress = p
		} // a file being written: the progress as it was
	}
	c, err := l.Engine.InspectContainer(ctx, r.Container)
	if err != nil {
		if strings.Contains(err.Error(), "No such container") || strings.Contains(err.Error(), "no such container") {
			r.State, r.Ended, r.Reason = Failed, l.now(), "its container was removed by something other than the app"
			return l.record(*j, i)
		}
		return fmt.Errorf("look at run %d of job %s: %w", i, j.ID, err)
	}
	if c.Labels[LabelJob] != j.ID {
		return fmt.Errorf("container %s is not run %d of job %s", r.Container, i, j.ID)
	}
	if c.Running {
		return nil
	}
	if c.Status == "created" { // its driver died before it started it
		return l.Engine.StartContainer(ctx, c.ID)
	}
	code := c.ExitCode
	r.ExitCode, r.Ended = &code, l.now()
	switch {
	case r.State == Cancelled:
	case code == 0 && r.Progress.Failed == nil:
		r.State = Succeeded
	default:
		r.State, r.Reason = Failed, reason(*r, c)
	}
	l.keepLog(ctx, *j, i)
	if err := l.Engine.RemoveContainer(context.WithoutCancel(ctx), c.ID); err != nil {
		return err
	}
	return l.record(*j, i)
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
// ran) and marks the pending ones cancelled.
func (l *Local) Cancel(ctx context.Context, j Job) (Job, error) {
	var errs []error
	for i := range j.Runs {
		r := &j.Runs[i]
		switch r.State {
		case Pending:
			r.State, r.Ended = Cancelled, l.now()
		case Running:
			r.State = Cancelled
			if err := l.Engine.StopContainer(ctx, r.Container, 10*time.Second); err != nil {
				errs = append(errs, err)
			}
			_ = l.follow(ctx, &j, i) // records its end
		}
	}
	if err := l.Store.Save(j); err != nil {
		errs = append(errs, err)
	}
	return j, errors.Join(errs...)
}

// Log writes run i's log: from its container while it runs, else the copy
// kept when it ended.
func (l *Local) Log(ctx context.Context, j Job, i int, w io.Writer) error {
	r := j.Runs[i]
	if r.State == Running {
		return l.Engine.Logs(ctx, r.Container, "all", false, w)
	}
	b, err := os.ReadFile(l.Store.LogPath(j, i))
	if err != nil {
		return fmt.Errorf("the log of run %d of job %s: %w", i, j.ID, err)
	}
	_, err = w.Write(b)
	return err
}
