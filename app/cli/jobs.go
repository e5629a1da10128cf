package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/neurodesk/neurodeskapp/app/buildinfo"
	"github.com/neurodesk/neurodeskapp/app/jobs"
	"github.com/neurodesk/neurodeskapp/app/launcher"
	"github.com/neurodesk/neurodeskapp/app/session"
)

// ExitJobFailed: `run` (and `jobs resume`) ended with a run that failed.
const ExitJobFailed = 9

// parseMixed parses flags that may come before or after the positional
// arguments (neurodeskapp run NOTEBOOK -p a=1), as a person types them.
func parseMixed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func cmdRun(ctx context.Context, args []string, io IO) int {
	fs := newFlags("run", io)
	values := jobs.Set{}
	fs.Func("p", "a parameter's value for every run: -p name=value (repeat for more)", func(s string) error {
		name, value, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			return fmt.Errorf("-p takes name=value, not %q", s)
		}
		values[name] = value
		return nil
	})
	each := fs.String("each", "", "run once per row of this CSV or TSV file (its first row names the parameters)")
	eachSubject := fs.String("each-subject", "", "run once per subject (sub-*) of this BIDS dataset, with the parameter subject=LABEL")
	cores := fs.Float64("cores", 0, "CPU cores each run may use (default: the engine's)")
	memory := fs.Float64("memory", 0, "memory each run may use, in GB (default: the engine's)")
	atOnce := fs.Int("at-once", 2, "how many runs go at the same time")
	version := fs.String("version", "", "Neurodesktop version (tag) to run, such as 2026-09-23")
	detach := fs.Bool("detach", false, "start the runs and return: follow them with `neurodeskapp jobs`")
	asJSON := fs.Bool("json", false, "print one JSON object per line")
	pos, err := parseMixed(fs, args)
	if err != nil {
		return ExitUsage
	}
	out := newOutput(io, "run", *asJSON)
	if len(pos) != 1 {
		fmt.Fprintln(io.Stderr, "Usage: neurodeskapp run NOTEBOOK [-p name=value]… [--each FILE | --each-subject BIDS_DIR] [--cores N] [--memory GB] [--at-once N] [--detach] [--json]")
		return ExitUsage
	}
	if *each != "" && *eachSubject != "" {
		return fail(out, invalid(errors.New("--each and --each-subject cannot go together: choose one list of runs")))
	}
	if *atOnce < 1 || *atOnce > 256 || *cores < 0 || *memory < 0 {
		return fail(out, invalid(errors.New("--at-once must be from 1 to 256, and --cores and --memory not negative")))
	}
	e := loadEnv(io)
	var sets []jobs.Set
	switch {
	case *each != "":
		sets, err = jobs.ReadTable(*each)
	case *eachSubject != "":
		sets, err = jobs.Subjects(*eachSubject)
	}
	if err != nil {
		return fail(out, invalid(err))
	}
	req := jobs.Request{Notebook: pos[0], DataFolder: e.settings.DataFolder, Values: values, Sets: sets,
		Resources: jobs.Resources{CPUs: *cores, MemoryGB: *memory}, AtOnce: *atOnce}
	// The values are checked before the engine is asked for anything.
	if _, err := jobs.NewJob(req, time.Now()); err != nil {
		return fail(out, invalid(err))
	}
	eng, err := io.connect(ctx, e.settings.Engine)
	if err != nil {
		return fail(out, err)
	}
	defer eng.Close()
	if eng.Info().Remote {
		return fail(out, invalid(errors.New("jobs run on this computer's container engine (their notebooks and outputs are in its data folder); this engine is on another machine")))
	}
	m := e.manager(eng)
	tag, _, err := e.pick(ctx, eng, *version, out)
	if err != nil {
		return fail(out, err)
	}
	img, err := m.EnsureImage(ctx, session.StartOptions{Settings: e.settings, Tag: tag, OnEvent: out.event})
	if err != nil {
		return exitCode(err)
	}
	digester, ok := eng.(interface {
		ImageDigest(ctx context.Context, ref string) (string, error)
	})
	if !ok {
		return fail(out, errors.New("this engine cannot say the image's digest"))
	}
	if req.Digest, err = digester.ImageDigest(ctx, img.Ref); err != nil {
		return fail(out, err)
	}
	req.Image, req.Version, req.Engine = img.Ref, img.Version, eng.Info().ID
	j, err := jobs.NewJob(req, time.Now())
	if err != nil {
		return fail(out, invalid(err))
	}
	l := e.local(ctx, eng, m, img)
	if err := l.Store.Save(j); err != nil {
		return fail(out, err)
	}
	out.note(j.Note)
	out.note(fmt.Sprintf("Job %s: %s, %d run(s), %d at a time, in %s (%s).", j.ID, j.NotebookRel, len(j.Runs), j.AtOnce, j.Image, shortDigest(j.ImageDigest)))
	if out.json {
		out.job(j) // its id, before anything runs
	}
	return drive(ctx, l, j, *detach, out)
}

// local is the runner on this computer's engine, the session's contract
// for its containers.
func (e env) local(ctx context.Context, eng launcher.Engine, m *session.Manager, img session.Image) *jobs.Local {
	host, _ := os.Hostname()
	return &jobs.Local{Engine: eng, Store: e.jobStore(), Base: m.RunBase(ctx, e.settings, img), FallBack: m.FallBack,
		AppVersion: buildinfo.Version, Host: host, EngineID: eng.Info().ID}
}

func (e env) jobStore() jobs.Store {
	return jobs.Store{Dir: filepath.Join(e.io.Paths.StateDir, "jobs")}
}

func shortDigest(d string) string {
	if i := strings.Index(d, "sha256:"); i >= 0 && len(d) >= i+7+12 {
		return d[i : i+7+12]
	}
	return d
}

// drive follows the job to its end, printing each change; Ctrl-C leaves
// the runs going.
func drive(ctx context.Context, l *jobs.Local, j jobs.Job, detach bool, out *output) int {
	if detach {
		j, err := l.StartSome(ctx, j)
		if err != nil {
			return fail(out, err)
		}
		out.job(j)
		out.note("The runs go on without this command: `neurodeskapp jobs " + j.ID + "` shows them; `neurodeskapp jobs resume " + j.ID + "` starts the rest as others end.")
		return ExitOK
	}
	l.OnChange = out.job
	j, err := l.Drive(ctx, j)
	if ctx.Err() != nil {
		out.note("Stopped following job " + j.ID + "; its running runs go on. `neurodeskapp jobs resume " + j.ID + "` follows it again and starts the rest.")
		return ExitInterrupted
	}
	if err != nil {
		return fail(out, err)
	}
	if j.State() != jobs.Succeeded {
		return ExitJobFailed
	}
	return ExitOK
}

// jobRecord is a job as `run --json` and `jobs --json` print it.
type jobRecord struct {
	State string     `json:"state"` // "job"
	Job   jobs.Job   `json:"job"`
	Now   jobs.State `json:"job_state"`
	Time  time.Time  `json:"time"`
}

// job prints a job's change: a JSON record, or a line per run that moved.
func (o *output) job(j jobs.Job) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.json {
		o.writeJSON(jobRecord{State: "job", Job: j, Now: j.State(), Time: time.Now()})
		return
	}
	for _, r := range j.Runs {
		line := runLine(j, r)
		if o.seen == nil {
			o.seen = map[string]string{}
		}
		key := j.ID + "/" + strconv.Itoa(r.Index)
		if o.seen[key] != line {
			o.seen[key] = line
			fmt.Fprintln(o.stderr, line)
		}
	}
}

func runLine(j jobs.Job, r jobs.Run) string {
	what := "run " + strconv.Itoa(r.Index+1) + " of " + strconv.Itoa(len(j.Runs))
	if len(r.Set) > 0 {
		var kv []string
		for k, v := range r.Set {
			kv = append(kv, k+"="+v)
		}
		slices.Sort(kv)
		what += " (" + strings.Join(kv, ", ") + ")"
	}
	switch r.State {
	case jobs.Running:
		if r.Progress.Total > 0 {
			return fmt.Sprintf("%s: running, %d of %d cells done", what, r.Progress.Done, r.Progress.Total)
		}
		return what + ": starting"
	case jobs.Succeeded:
		return fmt.Sprintf("%s: done in %s → %s", what, r.Ended.Sub(r.Started).Round(time.Second), r.Output)
	case jobs.Failed:
		return fmt.Sprintf("%s: failed: %s (output so far: %s)", what, r.Reason, r.Output)
	}
	return what + ": " + string(r.State)
}

// cmdJobs: jobs [--json] | jobs ID | jobs log ID [RUN] | jobs cancel ID |
// jobs rerun ID [--failed] | jobs resume ID.
func cmdJobs(ctx context.Context, args []string, io IO) int {
	fs := newFlags("jobs", io)
	asJSON := fs.Bool("json", false, "print one JSON object per line")
	failedOnly := fs.Bool("failed", false, "rerun: only the runs that failed or were cancelled")
	pos, err := parseMixed(fs, args)
	if err != nil {
		return ExitUsage
	}
	out := newOutput(io, "jobs", *asJSON)
	e := loadEnv(io)
	store := e.jobStore()
	verb, id := "list", ""
	switch {
	case len(pos) == 1 && !isVerb(pos[0]):
		verb, id = "show", pos[0]
	case len(pos) >= 2 && isVerb(pos[0]):
		verb, id = pos[0], pos[1]
	case len(pos) != 0:
		fmt.Fprintln(io.Stderr, "Usage: neurodeskapp jobs [ID] [--json] | jobs log ID [RUN] | jobs cancel ID | jobs rerun ID [--failed] | jobs resume ID")
		return ExitUsage
	}
	var list []jobs.Job
	if verb == "list" {
		list, err = store.List()
		if err != nil {
			out.note("warning: " + err.Error())
		}
	} else {
		j, err := store.Load(id)
		if err != nil {
			out.failure(invalid(err))
			return ExitSettings
		}
		list = []jobs.Job{j}
	}
	// The engine brings unfinished jobs up to date; without it, the records
	// say what they last knew.
	// The engine says where unfinished jobs are (changing nothing: their
	// driver records them); without it, the records say what they last knew.
	var l *jobs.Local
	eng, err := io.connect(ctx, e.settings.Engine)
	if err == nil && eng.Info().Remote {
		eng.Close()
		err = invalid(errors.New("jobs run on this computer's container engine; this engine is on another machine"))
	}
	if err == nil {
		defer eng.Close()
		var img session.Image
		if len(list) > 0 {
			img = session.Image{Ref: list[0].Image, Version: list[0].Version}
		}
		l = e.local(ctx, eng, e.manager(eng), img)
		for i, j := range list {
			if !j.State().Done() {
				list[i] = l.Look(ctx, j)
			}
		}
	} else if verb != "list" && verb != "show" && verb != "log" {
		return fail(out, err)
	}
	switch verb {
	case "list", "show":
		printJobs(out, list, verb == "show")
		return ExitOK
	case "log":
		j, run := list[0], 0
		if len(pos) > 2 {
			if run, err = strconv.Atoi(pos[2]); err != nil || run < 1 || run > len(j.Runs) {
				return fail(out, invalid(fmt.Errorf("job %s has runs 1 to %d, not %q", j.ID, len(j.Runs), pos[2])))
			}
			run--
		}
		if l == nil {
			l = &jobs.Local{Store: store}
		}
		if err := l.Log(ctx, j, run, io.Stdout); err != nil {
			return fail(out, err)
		}
		return ExitOK
	case "cancel":
		j, err := l.Cancel(ctx, list[0])
		out.job(j)
		if err != nil {
			return fail(out, err)
		}
		return ExitOK
	case "resume":
		return drive(ctx, l, list[0], false, out)
	case "rerun":
		j, err := jobs.Rerun(list[0], *failedOnly, time.Now())
		if err != nil {
			return fail(out, invalid(err))
		}
		if err := store.Save(j); err != nil {
			return fail(out, err)
		}
		out.note(j.Note)
		out.note(fmt.Sprintf("Job %s runs job %s again: %d run(s), in %s (%s).", j.ID, j.RerunOf, len(j.Runs), j.Image, shortDigest(j.ImageDigest)))
		return drive(ctx, l, j, false, out)
	}
	return ExitUsage
}

func isVerb(s string) bool {
	switch s {
	case "log", "cancel", "rerun", "resume":
		return true
	}
	return false
}

func printJobs(out *output, list []jobs.Job, detail bool) {
	if out.json {
		for _, j := range list {
			out.writeJSON(jobRecord{State: "job", Job: j, Now: j.State(), Time: time.Now()})
		}
		return
	}
	if len(list) == 0 {
		fmt.Fprintln(out.stdout, "No jobs yet: `neurodeskapp run NOTEBOOK` runs one.")
		return
	}
	tw := tabwriter.NewWriter(out.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tNOTEBOOK\tSTATE\tRUNS\tSUBMITTED")
	for _, j := range list {
		c := j.Counts()
		runs := fmt.Sprintf("%d done, %d failed, %d running, %d waiting", c[jobs.Succeeded], c[jobs.Failed]+c[jobs.Cancelled], c[jobs.Running], c[jobs.Pending])
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", j.ID, j.NotebookRel, j.State(), runs, j.Submitted.Local().Format("2006-01-02 15:04"))
	}
	tw.Flush()
	if detail {
		for _, j := range list {
			fmt.Fprintf(out.stdout, "\nImage %s (%s)\n", j.Image, j.ImageDigest)
			for _, r := range j.Runs {
				fmt.Fprintln(out.stdout, "  "+runLine(j, r))
				if r.Progress.Failed != nil && r.Progress.Failed.Traceback != "" {
					fmt.Fprintln(out.stdout, indent(r.Progress.Failed.Traceback, "      "))
				}
			}
		}
	}
}

func indent(s, by string) string {
	return by + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+by)
}
