package ui

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/neurodesk/neurodeskapp/app/jobs"
	"github.com/neurodesk/neurodeskapp/app/notify"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/session"
)

// The launcher's Jobs card: the notebooks run unattended (`neurodeskapp
// run`, app/jobs), newest first, each with its runs as a grid; a run's
// output opens in JupyterLab, its log in a dialog; a job can be cancelled
// and its failed runs run again.

// jobsShown is how many jobs the card lists.
const jobsShown = 10

// jobsLook is how often the card reads the jobs and their containers.
const jobsLook = 3 * time.Second

// JobView is a job on the Jobs card.
type JobView struct {
	ID        string         `json:"id"`
	Notebook  string         `json:"notebook"` // in the data folder
	State     string         `json:"state"`
	Counts    map[string]int `json:"counts"`
	Submitted time.Time      `json:"submitted"`
	Image     string         `json:"image"`
	Note      string         `json:"note,omitempty"`
	Runs      []RunView      `json:"runs"`
}

// RunView is one run of a job.
type RunView struct {
	State  string `json:"state"`
	Label  string `json:"label"` // its values, as given: subject=01
	Done   int    `json:"done"`
	Total  int    `json:"total"`
	Reason string `json:"reason,omitempty"`
	Output string `json:"output"` // the executed notebook's name
}

func jobView(j jobs.Job) JobView {
	v := JobView{ID: j.ID, Notebook: j.NotebookRel, State: string(j.State()), Counts: map[string]int{}, Submitted: j.Submitted, Image: j.Image, Note: j.Note}
	for st, n := range j.Counts() {
		v.Counts[string(st)] = n
	}
	for _, r := range j.Runs {
		var kv []string
		for k, val := range r.Set {
			kv = append(kv, k+"="+val)
		}
		slices.Sort(kv)
		v.Runs = append(v.Runs, RunView{State: string(r.State), Label: strings.Join(kv, ", "), Done: r.Progress.Done,
			Total: r.Progress.Total, Reason: r.Reason, Output: filepath.Base(r.Output)})
	}
	return v
}

func (s *Service) jobStore() jobs.Store { return jobs.StoreIn(s.cfg.Paths.StateDir) }

// looker reads jobs on the window's engine (nil without one): enough to
// look, cancel and read logs, the card's every few seconds.
func (s *Service) looker() *jobs.Local {
	s.mu.Lock()
	eng := s.eng
	s.mu.Unlock()
	if eng == nil || eng.Info().Remote {
		return nil
	}
	return &jobs.Local{Engine: eng, Store: s.jobStore(), EngineID: eng.Info().ID}
}

// local is the runner that starts j's runs: their containers made from
// the session's contract for these settings (which asks the engine).
func (s *Service) local(ctx context.Context, j jobs.Job) *jobs.Local {
	l := s.looker()
	if l == nil {
		return nil
	}
	s.mu.Lock()
	st := s.snap.Settings
	s.mu.Unlock()
	m := s.manager(l.Engine.(Engine))
	l.Host, _ = os.Hostname()
	l.Base, l.FallBack, l.AppVersion = m.RunBase(ctx, st, session.Image{Ref: j.Image, Version: j.Version}), m.FallBack, s.cfg.Version
	return l
}

// watchJobs keeps the Jobs card current while the window is open.
func (s *Service) watchJobs(ctx context.Context) {
	for delay := time.Duration(0); ; delay = jobsLook {
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		s.refreshJobs(ctx)
	}
}

// refreshJobs reads the jobs, brings the unfinished ones up to date with
// their containers, and shows them.
func (s *Service) refreshJobs(ctx context.Context) {
	s.jobsLook.Lock() // one look at a time: each end is notified once
	defer s.jobsLook.Unlock()
	list, err := s.jobStore().List()
	if err != nil {
		slog.Warn("read the jobs", "error", err)
	}
	if len(list) > jobsShown {
		list = list[:jobsShown]
	}
	views := make([]JobView, 0, len(list))
	for _, j := range list {
		if !j.State().Done() {
			// Where its runs are now; its driver (a command, or this
			// window's rerun) records them.
			if l := s.looker(); l != nil {
				c, cancel := context.WithTimeout(ctx, 10*time.Second)
				j = l.Look(c, j)
				cancel()
			}
		}
		views = append(views, jobView(j))
	}
	s.mu.Lock()
	same := reflect.DeepEqual(s.snap.Jobs, views)
	before := s.snap.Jobs
	s.mu.Unlock()
	s.notifyEnded(ctx, before, views)
	if !same { // an unchanged card is not sent again every few seconds
		s.update(func(sn *Snapshot) { sn.Jobs = views })
	}
}

func (s *Service) job(id string) (jobs.Job, error) {
	j, err := s.jobStore().Load(id)
	if err != nil {
		return jobs.Job{}, &problem.Error{Code: problem.Internal, Message: "No such job: " + id, Err: err}
	}
	return j, nil
}

// jobRun is the job with run (from 0), for a call from the launcher.
func (s *Service) jobRun(id string, run int) (jobs.Job, error) {
	if err := s.fromLauncher(); err != nil {
		return jobs.Job{}, err
	}
	j, err := s.job(id)
	if err != nil {
		return jobs.Job{}, err
	}
	if run < 0 || run >= len(j.Runs) {
		return jobs.Job{}, &problem.Error{Code: problem.Internal, Message: fmt.Sprintf("Job %s has no run %d", j.ID, run+1)}
	}
	return j, nil
}

// CancelJob stops a job's running runs and cancels those waiting.
func (s *Service) CancelJob(id string) error {
	if err := s.fromLauncher(); err != nil {
		return err
	}
	j, err := s.job(id)
	if err != nil {
		return err
	}
	l := s.looker()
	if l == nil {
		return &problem.Error{Code: problem.EngineNotRunning, Message: "The container engine is not reachable: the job's runs cannot be stopped now"}
	}
	_, err = l.Cancel(s.bg, j)
	s.refreshJobs(s.bg)
	return err
}

// RerunJob runs a job again with the same image (by digest): every run,
// or only those that failed or were cancelled. The window follows it.
func (s *Service) RerunJob(id string, failedOnly bool) (string, error) {
	if err := s.fromLauncher(); err != nil {
		return "", err
	}
	j, err := s.job(id)
	if err != nil {
		return "", err
	}
	n, err := jobs.Rerun(j, failedOnly, time.Now())
	if err != nil {
		return "", &problem.Error{Code: problem.InvalidSettings, Message: err.Error()}
	}
	l := s.local(s.bg, n)
	if l == nil {
		return "", &problem.Error{Code: problem.EngineNotRunning, Message: "The container engine is not reachable: the job cannot run now"}
	}
	if err := l.Store.Save(n); err != nil {
		return "", err
	}
	l.OnChange = func(jobs.Job) { s.refreshJobs(s.bg) }
	s.background(func() {
		if _, err := l.Drive(s.bg, n); err != nil && s.bg.Err() == nil {
			slog.Warn("run a job", "job", n.ID, "error", err)
		}
	})
	s.refreshJobs(s.bg)
	return n.ID, nil
}

// jobLogLimit is how much of a run's log the dialog shows: its end.
const jobLogLimit = 256 << 10

// JobLog is a run's log (papermill's, as its container printed it).
func (s *Service) JobLog(id string, run int) (string, error) {
	j, err := s.jobRun(id, run)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	l := s.looker()
	if l == nil {
		l = &jobs.Local{Store: s.jobStore()}
	}
	if err := l.Log(s.bg, j, run, &buf); err != nil {
		return "", &problem.Error{Code: problem.Internal, Message: "The run's log cannot be read", Err: err}
	}
	b := buf.Bytes()
	if len(b) > jobLogLimit {
		b = append([]byte("…\n"), b[len(b)-jobLogLimit:]...)
	}
	return problem.Redact(string(b)), nil
}

// OpenJobOutput shows a run's executed notebook in the running session's
// JupyterLab, when its data folder holds it.
func (s *Service) OpenJobOutput(id string, run int) error {
	j, err := s.jobRun(id, run)
	if err != nil {
		return err
	}
	s.mu.Lock()
	info := s.session
	s.mu.Unlock()
	if info == nil || info.Remote {
		return &problem.Error{Code: problem.NotReady, Message: "Start Neurodesktop on this computer to open the run's notebook in JupyterLab"}
	}
	r := openRequest{Folder: filepath.Dir(j.Runs[run].Output), File: filepath.Base(j.Runs[run].Output)}
	p, ok := labPath(r, info.DataFolder, info.WorkFolder)
	if !ok {
		return &problem.Error{Code: problem.NotReady, Message: "The running Neurodesktop has another data folder: the run's notebook is in " + j.DataFolder}
	}
	s.showPage(info.FileURL(p))
	return nil
}

// notifyEnded tells the desktop of each job that was going and has ended
// since the last look: a job of 120 subjects ends while nobody watches.
func (s *Service) notifyEnded(ctx context.Context, before, now []JobView) {
	was := map[string]string{}
	for _, j := range before {
		was[j.ID] = j.State
	}
	for _, j := range now {
		st, seen := was[j.ID]
		if !seen || jobs.State(st).Done() || !jobs.State(j.State).Done() {
			continue
		}
		title := "Job finished: " + filepath.Base(j.Notebook)
		if j.State != string(jobs.Succeeded) {
			title = "Job " + j.State + ": " + filepath.Base(j.Notebook)
		}
		body := fmt.Sprintf("%d of %d runs done", j.Counts[string(jobs.Succeeded)], len(j.Runs))
		if n := j.Counts[string(jobs.Failed)]; n > 0 {
			body += fmt.Sprintf(", %d failed", n)
		}
		send := s.cfg.Notify
		if send == nil {
			send = notify.Send
		}
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := send(c, title, body+"."); err != nil {
			slog.Warn("notify the desktop of a job's end", "job", j.ID, "error", err)
		} else {
			slog.Info("notified the desktop of a job's end", "job", j.ID, "state", j.State)
		}
		cancel()
	}
}
