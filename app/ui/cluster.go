package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/neurodesk/neurodeskapp/app/cluster"
	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/session"
	"github.com/neurodesk/neurodeskapp/app/settings"
	"github.com/neurodesk/neurodeskapp/app/webview"
)

// clusterSession is what the service holds of a job it reaches: the
// tunnel, and an end for the watch on the queue and the walltime warning.
type clusterSession struct {
	run  *cluster.Running
	stop context.CancelFunc
}

func (s *Service) clusterSessions(login string) (cluster.Sessions, error) {
	env := engine.Env{GOOS: runtime.GOOS, Home: s.cfg.Home, Getenv: s.cfg.Getenv, XDGRuntimeDir: s.cfg.Getenv("XDG_RUNTIME_DIR")}
	return cluster.For(env, login, s.cfg.Paths.StateDir)
}

// StartOnCluster runs Neurodesktop as a SLURM job on the cluster named in
// Settings (or reaches the one already queued or running); the queue and
// the start arrive as snapshots, and JupyterLab opens once it answers
// through the tunnel.
func (s *Service) StartOnCluster() error {
	if err := s.fromLauncher(); err != nil {
		return err
	}
	s.mu.Lock()
	st := s.snap.Settings
	tag := st.PinnedVersion
	if tag == "" {
		tag = s.snap.Image.Tag
	}
	s.mu.Unlock()
	if st.Cluster.Login == "" {
		return &problem.Error{Code: problem.InvalidSettings, Message: "No HPC cluster is set up",
			Remedy: "Name its login node in Settings ▸ HPC cluster."}
	}
	if err := settings.ValidateCluster(st.Cluster); err != nil {
		return err
	}
	job := cluster.JobFor(st.Cluster, st.ImageRepository+":"+tag)
	return s.reachCluster(st.Cluster.Login, job)
}

// adoptCluster looks, at launch, for a job this computer started on the
// cluster in Settings, and reaches it if it still runs. It is quiet: the
// launcher's cluster card says what it does, and a job found lands on the
// running card, as a local session found at launch does.
func (s *Service) adoptCluster() {
	s.mu.Lock()
	login := s.snap.Settings.Cluster.Login
	s.mu.Unlock()
	if login == "" {
		return
	}
	ss, err := s.clusterSessions(login)
	if err != nil || !ss.Kept() {
		return
	}
	ctx, finish, err := s.beginStart()
	if err != nil {
		return
	}
	defer finish()
	note := func(n ClusterNote) { s.update(func(sn *Snapshot) { sn.Cluster = n }) }
	note(ClusterNote{Busy: true, Text: "Looking for your Neurodesktop job on " + login + "…"})
	r, found, err := ss.Adopt(ctx, func(p cluster.Progress) {
		note(ClusterNote{Busy: true, Text: "Job " + p.JobID + ": " + p.Message})
	})
	switch {
	case err != nil && !errors.Is(err, context.Canceled):
		problem.Log("reach the cluster job", err)
		note(ClusterNote{Text: FormatError(err).Message})
		return
	case err != nil || !found:
		note(ClusterNote{})
		return
	}
	note(ClusterNote{})
	finish()
	s.clusterReady(ss, login, r)
}

// reachCluster starts the job, or reaches the one queued or running: one
// start at a time (shared with local starts), shown on the progress
// screen from the first line to JupyterLab.
func (s *Service) reachCluster(login string, job cluster.Job) error {
	ss, err := s.clusterSessions(login)
	if err != nil {
		return err
	}
	// Cancel (the person's) ends the job too; the app's own end leaves it.
	ctx, finish, err := s.beginStart()
	if err != nil {
		return err
	}
	show := func(state session.State, msg, node, job string) {
		s.update(func(sn *Snapshot) {
			sn.Session = SessionView{State: state, Message: msg, Cluster: login, Node: node, JobID: job}
		})
	}
	show(session.StateQueued, "Asking "+login+" for "+job.Describe()+".", "", "")
	s.background(func() {
		defer finish()
		r, err := ss.Start(ctx, job, func(p cluster.Progress) {
			if p.State == "RUNNING" {
				show(session.StateStarting, p.Message, p.Node, p.JobID)
				return
			}
			show(session.StateQueued, p.Message, "", p.JobID)
		})
		if err != nil && context.Cause(ctx) == errCancelled {
			show(session.StateStopping, "Taking the job off the queue.", "", "")
			if err := ss.Stop(s.bg); err != nil {
				problem.Log("cancel the cluster job", err)
			}
		}
		if err != nil {
			s.clusterFailed(login, "", err)
			return
		}
		finish()
		s.clusterReady(ss, login, r)
	})
	return nil
}

// clusterReady shows the job's JupyterLab, then watches the queue for its
// end and warns before its time is up.
func (s *Service) clusterReady(ss cluster.Sessions, login string, r *cluster.Running) {
	ctx, stop := context.WithCancel(s.bg)
	s.mu.Lock()
	s.cluster = &clusterSession{run: r, stop: stop}
	s.mu.Unlock()
	slog.Info("reached the cluster job", "job", r.JobID, "node", r.Node, "adopted", r.Adopted)
	s.setSession(session.Info{BaseURL: r.BaseURL, Token: r.Token, Remote: true, Adopted: r.Adopted,
		Cluster: login, JobID: r.JobID, Node: r.Node, Ends: r.Ends})
	stopWarning := r.BeforeEnd(func() {
		slog.Info("told the person the cluster job's time is nearly up", "job", r.JobID, "ends", r.Ends.Format(time.RFC3339))
		if rt := s.runtime(); rt != nil {
			rt.Notice(webview.Notice{Key: noticeSession, Stays: true,
				Text: fmt.Sprintf("Neurodesktop's time on %s ends at %s: save your work.", login, r.Ends.Format("15:04"))})
		}
	})
	context.AfterFunc(ctx, stopWarning)
	go func() {
		err := ss.Watch(ctx, r)
		if ctx.Err() != nil {
			return // stopped from here
		}
		s.clusterEnded(login, r, err)
	}()
}

// clusterEnded: SLURM ended the job (walltime, preemption, a failed node).
func (s *Service) clusterEnded(login string, r *cluster.Running, err error) {
	s.mu.Lock()
	if s.cluster == nil || s.cluster.run != r {
		s.mu.Unlock()
		return
	}
	s.cluster.stop()
	s.cluster, s.session = nil, nil
	onPage, rt := !s.onLauncher, s.rt
	s.mu.Unlock()
	r.Close()
	view := s.clusterFailed(login, "Neurodesktop stopped", err)
	if onPage && rt != nil && view != nil {
		rt.Notice(webview.Notice{Key: noticeSession, Text: view.Message + ". Session ▸ Back to Launcher shows its log.", Stays: true})
	}
}

// clusterFailed shows the error screen for a start or a job on login that
// failed (nothing for a start cancelled), with the job's log when it ran;
// its Retry starts on the cluster again.
func (s *Service) clusterFailed(login, title string, err error) *ErrorView {
	if errors.Is(err, context.Canceled) {
		s.update(func(sn *Snapshot) { sn.Session = SessionView{State: session.StateIdle} })
		return nil
	}
	problem.Log("the cluster job", err)
	view := FormatError(err)
	s.update(func(sn *Snapshot) {
		sn.Session = SessionView{State: session.StateFailed, Title: title, Cluster: login, Error: view, LogTail: cluster.EndedLog(err)}
	})
	return view
}

// stopCluster ends the job (Jupyter gets SIGTERM first) and the tunnel.
func (s *Service) stopCluster(info *session.Info) error {
	if c := s.takeCluster(); c != nil {
		c.run.Close() // the page is gone: the tunnel first, the job next
	}
	s.update(func(sn *Snapshot) { sn.Session = SessionView{State: session.StateStopping, Cluster: info.Cluster} })
	ss, err := s.clusterSessions(info.Cluster)
	if err == nil {
		err = ss.Stop(s.bg)
	}
	return s.stopped(err, "The cluster job could not be stopped")
}

// closeTunnels ends the tunnel as the app exits; the job goes on and the
// next launch reaches it again.
func (s *Service) closeTunnels() {
	if c := s.takeCluster(); c != nil {
		c.run.Close()
		slog.Info("left the cluster job running", "job", c.run.JobID)
	}
}

// takeCluster is the cluster session, no longer the service's, its watch
// ended; the caller closes its tunnel.
func (s *Service) takeCluster() *clusterSession {
	s.mu.Lock()
	c := s.cluster
	s.cluster = nil
	s.mu.Unlock()
	if c != nil {
		c.stop()
	}
	return c
}
