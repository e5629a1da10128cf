package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/neurodesk/neurodeskapp/app/cluster"
	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/session"
	"github.com/neurodesk/neurodeskapp/app/settings"
)

// clusterFlags are start's --cluster and what the job asks for; unset
// flags keep the settings' [cluster] values.
type clusterFlags struct {
	fs    *flag.FlagSet
	login *string
	job   settings.Cluster
}

func addClusterFlags(fs *flag.FlagSet, withJob bool) *clusterFlags {
	c := &clusterFlags{fs: fs, login: fs.String("cluster", "", "run on this HPC cluster's SLURM: its login node as an SSH destination or ~/.ssh/config name")}
	if withJob {
		fs.StringVar(&c.job.Partition, "partition", "", "with --cluster: the SLURM partition")
		fs.StringVar(&c.job.Account, "account", "", "with --cluster: the SLURM account")
		fs.IntVar(&c.job.CPUs, "cores", 0, "with --cluster: cores for the job")
		fs.IntVar(&c.job.MemoryGB, "memory", 0, "with --cluster: memory for the job, in GB")
		fs.IntVar(&c.job.GPUs, "gpus", 0, "with --cluster: GPUs for the job")
		fs.IntVar(&c.job.Hours, "hours", 0, "with --cluster: the job's time limit, in hours")
		fs.StringVar(&c.job.Image, "sif", "", "with --cluster: a SIF file on the cluster to run instead of the registry's image")
	}
	return c
}

// settings are the stored [cluster] values with the flags given over them.
func (c *clusterFlags) settings(st settings.Cluster) settings.Cluster {
	c.fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "cluster":
			st.Login = *c.login
		case "partition":
			st.Partition = c.job.Partition
		case "account":
			st.Account = c.job.Account
		case "cores":
			st.CPUs = c.job.CPUs
		case "memory":
			st.MemoryGB = c.job.MemoryGB
		case "gpus":
			st.GPUs = c.job.GPUs
		case "hours":
			st.Hours = c.job.Hours
		case "sif":
			st.Image = c.job.Image
		}
	})
	return st
}

// sessions reaches the cluster through ssh as the SSH engine does.
func (io IO) sessions(login string) (cluster.Sessions, error) {
	return cluster.For(engine.Env{GOOS: runtime.GOOS, Home: io.Home, Getenv: io.Getenv, XDGRuntimeDir: io.Getenv("XDG_RUNTIME_DIR")}, login, io.Paths.StateDir)
}

// clusterStart starts (or reaches) the job and keeps the tunnel to it
// open until interrupted; the job goes on after that.
func clusterStart(ctx context.Context, e env, cf *clusterFlags, data, version string, noOpen bool, out *output) int {
	st := cf.settings(e.settings.Cluster)
	if data != "" {
		st.DataFolder = data // a path on the cluster, taken as given
	}
	ss, err := e.io.sessions(st.Login)
	if err != nil {
		return fail(out, err)
	}
	image := ""
	if st.Image == "" {
		tag := version
		if tag == "" {
			tag = e.settings.PinnedVersion
		}
		if tag == "" {
			refresh, cancel := context.WithTimeout(ctx, manifestWait)
			v, err := e.releaseSource().Refresh(refresh)
			cancel()
			if err != nil {
				v = e.releaseSource().Current()
			}
			tag = v.Tag
		}
		image = e.settings.ImageRepository + ":" + tag
	}
	job := cluster.JobFor(st, image)
	if errs := job.Validate(); len(errs) > 0 {
		return fail(out, invalid(fmt.Errorf("the cluster job: %s", strings.Join(errs, "; "))))
	}
	out.note("Asking " + st.Login + " for " + job.Describe() + ".")
	r, err := ss.Start(ctx, job, func(p cluster.Progress) {
		if p.State == "RUNNING" {
			out.event(session.Event{State: session.StateStarting, Message: "Neurodesktop on " + p.Node + " (job " + p.JobID + "): " + p.Message, At: time.Now()})
			return
		}
		out.event(session.Event{State: session.StateQueued, Message: "job " + p.JobID + ": " + p.Message, At: time.Now()})
	})
	if err != nil {
		return fail(out, err)
	}
	defer r.Close()
	info := session.Info{BaseURL: r.BaseURL, Token: r.Token, Remote: true, Adopted: r.Adopted}
	out.event(session.Event{State: session.StateReady, Session: &info, At: time.Now()})
	ends := ""
	if !r.Ends.IsZero() {
		ends = ", until " + r.Ends.Format("15:04")
	}
	out.note(fmt.Sprintf("Job %s runs on %s%s. The tunnel to it stays open while this runs: press Ctrl-C to leave it; the job goes on (end it with: neurodeskapp stop --cluster %s).", r.JobID, r.Node, ends, st.Login))
	if !noOpen {
		if err := platform.OpenPrivately(ctx, e.io.Paths.StateDir, info.LabURL()); err != nil {
			fmt.Fprintf(e.io.Stderr, "Could not open the browser (%v); open the address above yourself.\n", err)
		}
	}
	return watchJob(ctx, ss, r, out)
}

// watchJob waits while the job runs, warning before its time is up and
// saying how it ended.
func watchJob(ctx context.Context, ss cluster.Sessions, r *cluster.Running, out *output) int {
	defer r.BeforeEnd(func() {
		out.note(fmt.Sprintf("Neurodesktop's time on the cluster ends at %s: save your work.", r.Ends.Format("15:04")))
	})()
	err := ss.Watch(ctx, r)
	if ctx.Err() != nil {
		return ExitOK
	}
	return fail(out, err)
}

// clusterStop ends the job and waits until it has left the queue.
func clusterStop(ctx context.Context, e env, cf *clusterFlags, out *output) int {
	ss, err := e.io.sessions(cf.settings(e.settings.Cluster).Login)
	if err != nil {
		return fail(out, err)
	}
	out.event(session.Event{State: session.StateStopping, At: time.Now()})
	if err := ss.Stop(ctx); err != nil {
		return fail(out, &problem.Error{Code: problem.RemoteUnreachable, Message: "Could not stop the cluster job", Err: err})
	}
	out.event(session.Event{State: session.StateStopped, At: time.Now()})
	return ExitOK
}

// clusterStatus prints the person's job on the cluster: waiting and why,
// or running on which node and for how long still.
func clusterStatus(ctx context.Context, e env, cf *clusterFlags, asJSON bool) int {
	login := cf.settings(e.settings.Cluster).Login
	ss, err := e.io.sessions(login)
	var jobs []cluster.Queued
	if err == nil {
		jobs, err = ss.Jobs(ctx)
	}
	if asJSON {
		type job struct {
			ID       string `json:"id"`
			State    string `json:"state"`
			Node     string `json:"node,omitempty"`
			Waiting  string `json:"waiting,omitempty"`
			TimeLeft string `json:"time_left,omitempty"`
		}
		r := struct {
			Cluster string       `json:"cluster"`
			Running bool         `json:"running"`
			Jobs    []job        `json:"jobs"`
			Error   *errorRecord `json:"error,omitempty"`
		}{Cluster: login, Jobs: []job{}}
		for _, q := range jobs {
			j := job{ID: q.ID, State: q.State, Node: q.Node}
			if q.State == "PENDING" {
				j.Waiting = q.Waiting(time.Now())
			}
			if q.TimeLeft >= 0 {
				j.TimeLeft = Duration(q.TimeLeft)
			}
			r.Running = r.Running || q.State == "RUNNING"
			r.Jobs = append(r.Jobs, j)
		}
		if err != nil {
			r.Error = errRecord(err)
		}
		b, _ := json.Marshal(r)
		fmt.Fprintln(e.io.Stdout, string(b))
	} else if err == nil {
		fmt.Fprintf(e.io.Stdout, "Cluster:   %s\n", login)
		if len(jobs) == 0 {
			fmt.Fprintln(e.io.Stdout, "Session:   no Neurodesktop job")
		}
		for _, q := range jobs {
			switch q.State {
			case "PENDING":
				fmt.Fprintf(e.io.Stdout, "Session:   job %s is queued. %s\n", q.ID, q.Waiting(time.Now()))
			default:
				fmt.Fprintf(e.io.Stdout, "Session:   job %s is %s on %s", q.ID, strings.ToLower(q.State), q.Node)
				if q.TimeLeft >= 0 {
					fmt.Fprintf(e.io.Stdout, ", %s left", Duration(q.TimeLeft))
				}
				fmt.Fprintln(e.io.Stdout)
			}
		}
	} else {
		newOutput(e.io, "status", false).failure(err)
	}
	switch {
	case err != nil:
		return ExitNoEngine
	case len(jobs) == 0:
		return ExitNotRunning
	}
	return ExitOK
}
