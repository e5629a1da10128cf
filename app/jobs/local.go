package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
	// EngineID is the engine's own id: a job is driven on the engine it
	// was submitted to, never on another that does not know its runs.
	EngineID string
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

// start creates and starts run i's container. The record names the
// container before it starts, so a driver that dies in between is found
// again with it.
func (l *Local) start(ctx context.Context, j *Job, i int) error {
	r := &j.Runs[i]
	spec, err := l.Spec(*j, i)
	if err != nil {
		return err
	}
	if err := l.stampNotebook(j, i); err != nil {
		return err
	}
	id, err := l.Engine.CreateContainer(ctx, spec)
	if err != nil && ctx.Err() != nil {
		return ctx.Err() // cut short here: the run waits for the next driver
	}
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
	if err != nil && ctx.Err() != nil {
		return ctx.Err() // made, not started: the next driver starts it
	}
	if err != nil {
		r.State, r.Reason, r.Ended = Failed, "the engine did not start its container: "+err.Error(), l.now()
		l.keepLog(ctx, *j, i)
		_ = l.Engine.RemoveContainer(context.WithoutCancel(ctx), id) // ours, never started
	}
	return nil
}

// stampNotebook records the notebook as run i finds it (a notebook edited
// during a long job is run as it is then, and its record says which).
func (l *Local) stampNotebook(j *Job, i int) error {
	b, err := os.ReadFile(j.Notebook)
	if err != nil {
		return fmt.Errorf("read the notebook for run %d: %w", i+1, err)
	}
	sum := sha256.Sum256(b)
	j.Runs[i].NotebookHash = hex.EncodeToString(sum[:])
	return nil
}
