// Package cli is the headless command line: start, stop, status, pull, logs
// and version, over the same core the desktop app uses.
package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/neurodesk/neurodeskapp/app/launcher"
	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/release"
	"github.com/neurodesk/neurodeskapp/app/session"
	"github.com/neurodesk/neurodeskapp/app/settings"
	"github.com/neurodesk/neurodeskapp/app/versions"
)

// Exit codes; scripts may rely on them.
const (
	ExitOK           = 0
	ExitFailure      = 1
	ExitUsage        = 2
	ExitNotRunning   = 3 // status: no session is running
	ExitNoEngine     = 4 // the engine is not installed, not running, or refuses us
	ExitNameConflict = 5 // a container we did not create holds the name
	ExitSettings     = 6 // the settings (or flags) are invalid
	ExitStartFailed  = 7 // the container stopped, or JupyterLab did not answer
	ExitPullFailed   = 8 // the image could not be pulled
	ExitInterrupted  = 130
)

// IO is the command's surroundings, passed in so tests can run it in-process.
type IO struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Terminal is true when Stderr is a terminal: draw a progress bar.
	Terminal bool
	Paths    platform.Paths
	Home     string
	// Executable is this program's path, for updates; Version overrides
	// the build's version and UpdateKey the built-in release key (tests).
	Executable string
	Version    string
	UpdateKey  []byte
	// Connect finds the engine; nil is launcher.Connect (tests give a fake).
	Connect launcher.Connector
}

const usage = `Usage: neurodeskapp <command> [flags]

Commands:
  start [--data DIR] [--version TAG] [--image REF] [--no-open] [--json]
                                                          start Neurodesktop (or adopt the running one); on an
                                                          engine over SSH it stays while its address is used (Ctrl-C)
  start --cluster HOST [--partition P] [--account A] [--cores N] [--memory GB] [--gpus N] [--hours H]
        [--data PATH] [--sif FILE] [--version TAG] [--no-open] [--json]
                                                          run it as a SLURM job on an HPC cluster, reached through
                                                          its login node HOST; the tunnel stays open until Ctrl-C
  stop [--cluster HOST] [--json]                          stop it gracefully (on the cluster: end the job)
  status [--cluster HOST] [--json]                        show the engine, the image version and the session
  pull [--image REF] [--json]                             pull the current version (or REF) without starting it
  versions [--json]                                       the versions: current, in the registry, on disk, running, pinned
  prune [--dry-run] [--json]                              remove old Neurodesktop versions no container uses
  logs [-f]                                               print the container's log (follow with -f)
  update [--check] [--json]                               update the app itself (--check: only say what would be installed)
  version [--json]                                        print the app's version
  run NOTEBOOK [-p name=value]… [--each FILE | --each-subject BIDS_DIR] [--cores N] [--memory GB]
      [--at-once N] [--version TAG] [--detach] [--json]   run a notebook of the data folder unattended (papermill), once
                                                          or once per row or subject; outputs and a record beside it
  jobs [ID] [--json]                                      the jobs and their runs (ID: each run, with failures' tracebacks)
  jobs log ID [RUN] | jobs cancel ID | jobs resume ID | jobs rerun ID [--failed]
                                                          a run's log; cancel; follow again; run again with the same image

Without a command the desktop app opens. With a notebook or folder
(neurodeskapp PATH, as the file manager does) the app opens it in
JupyterLab, its folder mounted at /data (~/data in JupyterLab); a running
app is handed the path.
`

func commands() map[string]func(context.Context, []string, IO) int {
	return map[string]func(context.Context, []string, IO) int{
		"start": cmdStart, "stop": cmdStop, "status": cmdStatus, "pull": cmdPull, "logs": cmdLogs, "version": cmdVersion,
		"update": cmdUpdate, "versions": cmdVersions, "prune": cmdPrune, "run": cmdRun, "jobs": cmdJobs,
	}
}

// IsCommand says whether name is a command (or help), not a path to open.
func IsCommand(name string) bool {
	_, ok := commands()[name]
	return ok || name == "help" || name == "-h" || name == "--help"
}

// Run executes one command and returns the process exit code.
func Run(ctx context.Context, args []string, io IO) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(io.Stdout, usage)
		return ExitOK
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(io.Stderr, "neurodeskapp: unknown command %q\n\n%s", args[0], usage)
		return ExitUsage
	}
	return cmd(ctx, args[1:], io)
}

func newFlags(name string, io IO) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Stderr)
	return fs
}

// env bundles what the commands share once settings are loaded.
type env struct {
	io       IO
	settings settings.Settings
	loaded   settings.LoadResult
}

func loadEnv(io IO) env {
	l := launcher.LoadSettings(io.launcherEnv())
	for _, n := range l.Notes {
		fmt.Fprintln(io.Stderr, "warning: "+n)
	}
	return env{io: io, settings: l.Settings, loaded: l.Result}
}

func (io IO) launcherEnv() launcher.Env {
	return launcher.Env{GOOS: runtime.GOOS, Home: io.Home, Paths: io.Paths, Getenv: io.Getenv, Instance: io.Getenv("NEURODESKAPP_INSTANCE")}
}

func (e env) releaseSource() *versions.Feed {
	return launcher.Source(e.io.launcherEnv(), e.settings)
}

// manifestWait bounds how long a start that must pull waits for
// neurodesktop.toml before it falls back to the cached or embedded copy.
const manifestWait = 5 * time.Second

// pick decides the version a start runs (see versions.Pick) and says why on
// out. A start that runs what is on disk never waits for the web: the
// manifest is read meanwhile, and after waits for that (a few seconds at
// most) and says whether a newer version is available.
func (e env) pick(ctx context.Context, eng launcher.Engine, override string, out *output) (tag string, after func(), err error) {
	src := e.releaseSource()
	if e.settings.Channel != settings.ChannelStable {
		return "", func() {}, nil
	}
	c, v, err := versions.Pick(ctx, eng, src.ForStart(), e.settings, override, manifestWait)
	if err != nil {
		return "", nil, err
	}
	out.note(choiceNote(c, v))
	if v.Origin == release.OriginRemote {
		return c.Tag, func() {}, nil
	}
	fresh := make(chan release.Version, 1)
	go func() {
		if nv, err := src.Refresh(ctx); err == nil { // failures leave the cache as it was
			fresh <- nv
		}
		close(fresh)
	}()
	return c.Tag, func() {
		nv, ok := <-fresh
		if !ok || nv.Tag == v.Tag {
			return
		}
		if later, _, err := versions.Next(ctx, eng, e.settings, nv.Tag, override); err == nil && later.Newer != "" {
			out.note("Version " + later.Newer + " is available: `neurodeskapp pull` downloads it while you work.")
		}
	}, nil
}

// choiceNote says which version runs and why, in a line.
func choiceNote(c versions.Choice, v release.Version) string {
	var s string
	switch c.Why {
	case versions.WhyOverride:
		s = "Running Neurodesktop " + c.Tag + " (asked for)."
	case versions.WhyPinned:
		s = "Running Neurodesktop " + c.Tag + " (pinned in Settings)."
	case versions.WhyCurrent:
		s = "Running Neurodesktop " + c.Tag + " (the current version)."
	case versions.WhyOnDisk:
		s = "Running Neurodesktop " + c.Tag + " (the newest on this computer)."
	case versions.WhyPull:
		s = "Neurodesktop " + c.Tag + " is not on this computer yet; pulling it."
		if v.Origin != release.OriginRemote {
			s += " (The current version could not be read online; this is the " + string(v.Origin) + " one.)"
		}
	}
	if c.Newer != "" {
		s += " Version " + c.Newer + " is available: `neurodeskapp pull` downloads it while you work."
	}
	return s
}

func (io IO) connect(ctx context.Context, choice string) (launcher.Engine, error) {
	connect := io.Connect
	if connect == nil {
		connect = launcher.Connect(io.launcherEnv(), func() string { return choice })
	}
	eng, _, err := connect(ctx)
	return eng, err
}

// withEngine is every engine command's preamble: the settings, the engine
// they choose (its failure reported with its exit code), and closing it
// afterwards.
func withEngine(ctx context.Context, io IO, out *output, run func(e env, eng launcher.Engine) int) int {
	e := loadEnv(io)
	eng, err := io.connect(ctx, e.settings.Engine)
	if err != nil {
		return fail(out, err)
	}
	defer eng.Close()
	return run(e, eng)
}

func (e env) manager(eng launcher.Engine) *session.Manager {
	return launcher.Manager(e.io.launcherEnv(), eng)
}

// exitCode maps a failure to the documented exit codes.
func exitCode(err error) int {
	switch problem.CodeOf(err) {
	case "":
		return ExitOK
	case problem.EngineNotInstalled, problem.EngineNotRunning, problem.EnginePermissionDenied, problem.EngineAPITooOld, problem.EngineRemoteNoSSH:
		return ExitNoEngine
	case problem.NameConflict, problem.OtherUser:
		return ExitNameConflict
	case problem.InvalidSettings:
		return ExitSettings
	case problem.ContainerExited, problem.NotReady, problem.PrivilegedRefused:
		return ExitStartFailed
	case problem.ImageNotFound, problem.RegistryUnreachable, problem.DiskFull:
		return ExitPullFailed
	case problem.Canceled:
		return ExitInterrupted
	}
	return ExitFailure
}

// fail prints err for a person (or as JSON) and returns its exit code.
func fail(o *output, err error) int {
	o.failure(err)
	return exitCode(err)
}
