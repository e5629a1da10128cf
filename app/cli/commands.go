package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/neurodesk/neurodeskapp/app/buildinfo"
	"github.com/neurodesk/neurodeskapp/app/launcher"
	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/release"
	"github.com/neurodesk/neurodeskapp/app/session"
	"github.com/neurodesk/neurodeskapp/app/settings"
)

// applyFlags overrides settings for this run only; nothing is saved.
func applyFlags(s *settings.Settings, data, image string) error {
	if data != "" {
		abs, err := filepath.Abs(data)
		if err != nil {
			return fmt.Errorf("data folder %q: %w", data, err)
		}
		s.DataFolder = abs
	}
	if image != "" {
		s.Channel, s.CustomImage = settings.ChannelCustom, image
	}
	return nil
}

// onlyFolders reports whether every problem is with a folder field.
func onlyFolders(err error) bool {
	var fe settings.Errors
	if !errors.As(err, &fe) {
		return false
	}
	for _, e := range fe {
		if e.Field != "data_folder" && e.Field != "work_folder" {
			return false
		}
	}
	return true
}

func invalid(err error) error {
	return &problem.Error{Code: problem.InvalidSettings, Message: err.Error(),
		Remedy: "Fix the settings (in the app's Settings screen, or the file it names), or pass other flags."}
}

func cmdStart(ctx context.Context, args []string, io IO) int {
	fs := newFlags("start", io)
	data := fs.String("data", "", "data folder to mount at /neurodesktop-storage (this run only)")
	image := fs.String("image", "", "image reference to run instead of the current Neurodesktop (this run only)")
	version := fs.String("version", "", "Neurodesktop version (tag) to run, such as 2026-07-11 (this run only)")
	noOpen := fs.Bool("no-open", false, "do not open JupyterLab in the system browser")
	asJSON := fs.Bool("json", false, "print one JSON object per line")
	cf := addClusterFlags(fs, true)
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	out := newOutput(io, "start", *asJSON)
	e := loadEnv(io)
	if *cf.login != "" {
		return clusterStart(ctx, e, cf, *data, *version, *noOpen, out)
	}
	if err := applyFlags(&e.settings, *data, *image); err != nil {
		return fail(out, invalid(err))
	}
	// Check the local parts first: they need no engine and fail fastest.
	// Folders alone may still be fine: on a remote engine they are paths on
	// its host, so those wait for the engine's answer.
	localErr := settings.Validate(e.settings, settings.Limits{})
	if localErr != nil && !onlyFolders(localErr) {
		return fail(out, invalid(localErr))
	}
	if *version != "" && release.ValidTag(*version) != nil {
		return fail(out, invalid(fmt.Errorf("--version %q is not a Neurodesktop version such as 2026-07-11", *version)))
	}
	eng, err := io.connect(ctx, e.settings.Engine)
	if err != nil && localErr != nil {
		return fail(out, invalid(localErr))
	}
	if err != nil {
		return fail(out, err)
	}
	defer eng.Close()
	info := eng.Info()
	if err := settings.Validate(e.settings, session.LimitsOf(info)); err != nil {
		return fail(out, invalid(err))
	}
	m := e.manager(eng)
	tag, after := "", func() {}
	// A running session is adopted whatever its version: no need to choose.
	_, running, _ := m.Find(ctx)
	if !running {
		if tag, after, err = e.pick(ctx, eng, *version, out); err != nil {
			return fail(out, err)
		}
		// What the image does while JupyterLab is awaited, from its log.
		follow, stop := context.WithCancel(ctx)
		defer stop()
		go func() {
			_ = m.FollowStartLog(follow, session.LineWriter(func(line string) {
				if st, ok := session.StartupStage(line); ok {
					out.stage(st)
				}
			}))
		}()
	}
	s, err := m.Start(ctx, session.StartOptions{Settings: e.settings, Tag: tag, OnEvent: out.event})
	if err != nil {
		return exitCode(err) // the failed event has been printed
	}
	if !*noOpen {
		if err := platform.OpenPrivately(ctx, io.Paths.StateDir, s.LabURL()); err != nil {
			fmt.Fprintf(io.Stderr, "Could not open the browser (%v); open the address above yourself.\n", err)
		}
	}
	after() // a short wait at most: the manifest's client has a 5s timeout
	if m.Tunnel != nil {
		// The address is a port of this process, carried over ssh: it
		// works while the command runs.
		out.note("Neurodesktop runs on " + eng.Endpoint().Host + "; its address above works while this runs: press Ctrl-C to leave it. Neurodesktop goes on (`neurodeskapp start` reaches it again; `neurodeskapp stop` ends it).")
		<-ctx.Done()
	}
	return ExitOK
}

func cmdStop(ctx context.Context, args []string, io IO) int {
	fs := newFlags("stop", io)
	asJSON := fs.Bool("json", false, "print one JSON object per line")
	cf := addClusterFlags(fs, false)
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	out := newOutput(io, "stop", *asJSON)
	if *cf.login != "" {
		return clusterStop(ctx, loadEnv(io), cf, out)
	}
	return withEngine(ctx, io, out, func(e env, eng launcher.Engine) int {
		if err := e.manager(eng).Stop(ctx, out.event); err != nil {
			return fail(out, err)
		}
		return ExitOK
	})
}

type statusReport struct {
	Engine struct {
		Kind     string `json:"kind,omitempty"`
		Version  string `json:"version,omitempty"`
		API      string `json:"api_version,omitempty"`
		Endpoint string `json:"endpoint,omitempty"`
		Source   string `json:"source,omitempty"`
	} `json:"engine"`
	Image struct {
		Tag    string `json:"tag"`
		Origin string `json:"origin"`
		At     string `json:"at,omitempty"`
		// RefreshError says why the remote copy could not be read.
		RefreshError string `json:"refresh_error,omitempty"`
	} `json:"image"`
	Running bool   `json:"running"`
	URL     string `json:"url,omitempty"`
	// DesktopURL opens the Linux desktop at the route the session offers.
	DesktopURL string `json:"desktop_url,omitempty"`
	// Tools is where Neurodesk's tools (CVMFS) are in the session.
	Tools      *session.Tools `json:"tools,omitempty"`
	Container  string         `json:"container,omitempty"`
	DataFolder string         `json:"data_folder,omitempty"`
	Error      *errorRecord   `json:"error,omitempty"`
}

func cmdStatus(ctx context.Context, args []string, io IO) int {
	fs := newFlags("status", io)
	asJSON := fs.Bool("json", false, "print one JSON object")
	cf := addClusterFlags(fs, false)
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	e := loadEnv(io)
	if *cf.login != "" {
		return clusterStatus(ctx, e, cf, *asJSON)
	}
	var r statusReport
	// status is where a person looks for the newest version, so it asks.
	src := e.releaseSource()
	v, rerr := src.Refresh(ctx)
	if rerr != nil {
		v = src.Current()
		r.Image.RefreshError = rerr.Error()
	}
	r.Image.Tag, r.Image.Origin = v.Tag, string(v.Origin)
	if !v.At.IsZero() {
		r.Image.At = v.At.Format("2006-01-02 15:04")
	}
	code := ExitNotRunning
	eng, err := io.connect(ctx, e.settings.Engine)
	if err == nil {
		defer eng.Close()
		i := eng.Info()
		r.Engine.Kind, r.Engine.Version, r.Engine.API = i.Kind.String(), i.ServerVersion, i.APIVersion
		r.Engine.Endpoint, r.Engine.Source = eng.Endpoint().Host, eng.Endpoint().Source
		var s session.Info
		var found bool
		if s, found, err = e.manager(eng).Find(ctx); err == nil && found {
			r.Running, r.URL, r.Container, r.DataFolder, code = true, s.LabURL(), s.ContainerID[:min(12, len(s.ContainerID))], s.DataFolder, ExitOK
			d, _ := session.FindDesktop(ctx, &http.Client{}, s) // unanswered: the historical route
			r.DesktopURL = s.DesktopURL(d)
			if t, terr := e.manager(eng).Tools(ctx, eng, s); terr == nil {
				r.Tools = &t
			}
		}
	}
	if err != nil {
		r.Error, code = errRecord(err), exitCode(err)
	}
	if *asJSON {
		b, _ := json.Marshal(r)
		fmt.Fprintln(io.Stdout, string(b))
		return code
	}
	w := io.Stdout
	if r.Engine.Kind != "" {
		fmt.Fprintf(w, "Engine:    %s %s (API %s) at %s\n", r.Engine.Kind, r.Engine.Version, r.Engine.API, r.Engine.Endpoint)
	}
	fmt.Fprintf(w, "Image:     %s (from %s%s)\n", r.Image.Tag, r.Image.Origin, map[bool]string{true: ", " + r.Image.At}[r.Image.At != ""])
	if r.Running {
		fmt.Fprintf(w, "Session:   running (container %s, data folder %s)\n", r.Container, r.DataFolder)
		fmt.Fprintf(w, "URL:       %s\n", r.URL)
		fmt.Fprintf(w, "Desktop:   %s\n", r.DesktopURL)
		if r.Tools != nil {
			fmt.Fprintf(w, "Tools:     %s%s\n", r.Tools.State, map[bool]string{true: " (" + r.Tools.Detail + ")"}[r.Tools.Detail != ""])
		}
	} else if err == nil {
		fmt.Fprintln(w, "Session:   not running")
	}
	if err != nil {
		newOutput(io, "status", false).failure(err)
	}
	return code
}

func cmdPull(ctx context.Context, args []string, io IO) int {
	fs := newFlags("pull", io)
	image := fs.String("image", "", "image reference to pull instead of the current Neurodesktop")
	asJSON := fs.Bool("json", false, "print one JSON object per line")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	out := newOutput(io, "pull", *asJSON)
	e := loadEnv(io)
	if err := applyFlags(&e.settings, "", *image); err != nil {
		return fail(out, invalid(err))
	}
	eng, err := io.connect(ctx, e.settings.Engine)
	if err != nil {
		return fail(out, err)
	}
	defer eng.Close()
	// pull is how a person fetches the newest version: ask the manifest now.
	src := e.releaseSource()
	v, rerr := src.Refresh(ctx)
	if rerr != nil {
		v = src.Current()
		out.note(fmt.Sprintf("Could not read the current version online (%v); using %s from the %s copy.", rerr, v.Tag, v.Origin))
	}
	img, err := e.manager(eng).EnsureImage(ctx, session.StartOptions{Settings: e.settings, Tag: v.Tag, OnEvent: out.event})
	if err != nil {
		return exitCode(err) // the failed event has been printed
	}
	if *asJSON {
		out.writeJSON(map[string]string{"state": "pulled", "image": img.Ref})
	} else {
		fmt.Fprintf(io.Stderr, "\nImage ready: %s\n", img.Ref)
	}
	return ExitOK
}

func cmdLogs(ctx context.Context, args []string, io IO) int {
	fs := newFlags("logs", io)
	follow := fs.Bool("f", false, "follow the log until interrupted")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	out := newOutput(io, "logs", false)
	return withEngine(ctx, io, out, func(e env, eng launcher.Engine) int {
		err := e.manager(eng).Logs(ctx, "all", *follow, io.Stdout)
		if errors.Is(err, session.ErrNoSession) {
			fmt.Fprintln(io.Stderr, "No Neurodesk session container exists.")
			return ExitNotRunning
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			return fail(out, err)
		}
		return ExitOK
	})
}

func cmdVersion(_ context.Context, args []string, io IO) int {
	fs := newFlags("version", io)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	b := buildinfo.Get()
	if *asJSON {
		j, _ := json.Marshal(b)
		fmt.Fprintln(io.Stdout, string(j))
		return ExitOK
	}
	wails := ", command line only"
	if b.Wails != "" {
		wails = ", Wails " + b.Wails
	}
	fmt.Fprintf(io.Stdout, "neurodeskapp %s (commit %s, built %s, %s%s, %s)\n", b.Version, b.Commit, b.Date, b.GoVersion, wails, b.Platform)
	return ExitOK
}
