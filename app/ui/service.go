// Package ui is the desktop app's backend: the service bound to the
// frontend, and the Wails wiring (wails.go, menu.go). It decides nothing the
// core must know; it turns core events into snapshots for the window.
package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/launcher"
	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/release"
	"github.com/neurodesk/neurodeskapp/app/session"
	"github.com/neurodesk/neurodeskapp/app/settings"
	"github.com/neurodesk/neurodeskapp/app/update"
	"github.com/neurodesk/neurodeskapp/app/versions"
	"github.com/neurodesk/neurodeskapp/app/webview"
)

// SnapshotEvent says the Snapshot changed (its seq); State() returns it.
const SnapshotEvent = "snapshot"

// Config is what the service is built from.
type Config struct {
	Paths    platform.Paths
	Home     string
	Instance string // NEURODESKAPP_INSTANCE
	Getenv   func(string) string
	Version  string         // the app's own version
	Updater  Updater        // nil: no update checks (development builds)
	Install  update.Install // how this copy was installed
	// DownloadsDir is where downloads from session pages land; "" is the
	// user's Downloads folder.
	DownloadsDir string
	// Connect finds the engine; nil is launcher.Connect.
	Connect launcher.Connector
	// FreeBytes measures a folder's free space; nil is the platform's.
	FreeBytes func(dir string) (uint64, error)
	// Notify shows a desktop notification; nil is notify.Send.
	Notify func(ctx context.Context, title, body string) error
}

// Engine is what the window needs of the container engine.
type Engine = launcher.Engine

// Service is bound to the frontend. Every method may be called from several
// goroutines at once; mu guards the snapshot and the session state.
type Service struct {
	cfg Config
	rt  Runtime
	src *versions.Feed

	mu     sync.Mutex
	snap   Snapshot
	eng    Engine
	cancel context.CancelFunc // of the start in progress
	// dlCancel cancels the background download of a new version.
	dlCancel context.CancelFunc
	session  *session.Info
	bg       context.Context
	// quitting lets the window close without asking again.
	quitting    bool
	askingQuit  bool // the quit question is up
	closed      bool // BeforeClose let the window close
	offered     update.Release
	lastEmit    time.Time
	emitPending bool
	// onLauncher is true while the window shows our own page; nothing is
	// emitted into any other. launcherOrigin is its address's origin
	// (wails://wails/), where the app sends the window back to it.
	onLauncher     bool
	launcherOrigin string
	// hopping is showLauncher's step through about:blank, launcherArmed
	// its permit to load the launcher; guardCalls makes bound methods
	// refuse while the window shows another page (guard.go).
	hopping       bool
	launcherArmed bool
	guardCalls    bool
	// downloadsStopped is why downloadRoom stopped a download, by file.
	downloadsStopped map[string]string
	// browserOpens are when pages last sent a link to the system browser.
	browserOpens []time.Time
	zoomLevel    float64
	// connecting counts the engine connections under way.
	connecting int
	selfCheck  *SelfCheck // set by Run for --self-check
	// opening is what the OS asked to open, until JupyterLab shows it.
	opening *openRequest
	// cluster is the HPC cluster job the session runs in, when it does.
	cluster *clusterSession
	// desktop is the running session's desktop route (desktop.go).
	desktop desktopCache
	// jobsLook makes the Jobs card's looks one at a time (jobs.go).
	jobsLook sync.Mutex
	// relays hold the addresses of sessions on an engine over SSH for the
	// window's whole life, whichever engine connection is current.
	relays *engine.Relays
	// bgWork counts starts and background refreshes, which write to the
	// state and cache folders: tests wait for them before those go.
	bgWork sync.WaitGroup
}

// background runs a refresh in the background, counted in bgWork.
func (s *Service) background(f func()) {
	s.bgWork.Add(1)
	go func() {
		defer s.bgWork.Done()
		f()
	}()
}

// New builds the service; call Startup once the window exists.
func New(cfg Config) *Service {
	s := &Service{cfg: cfg, bg: context.Background(), zoomLevel: 1, relays: engine.NewRelays()}
	if s.cfg.Connect == nil {
		s.cfg.Connect = launcher.Connect(s.env(), func() string {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.snap.Settings.Engine
		})
	}
	return s
}

// startup receives the runtime (and the app's lifetime context), loads the
// settings and begins looking for the engine. It never blocks on the network.
func (s *Service) startup(ctx context.Context, rt Runtime) {
	// Files are read before the lock is taken: a slow disk must not hold
	// up the page's calls.
	l := launcher.LoadSettings(s.env())
	src := launcher.Source(s.env(), l.Settings)
	snap := Snapshot{Settings: l.Settings, SettingsNote: strings.Join(l.Notes, " "), Image: imageView(src.Current()),
		AppVersion: s.cfg.Version, Recent: s.loadRecent(), Home: s.cfg.Home}
	snap.Session.State = session.StateIdle
	for i := len(l.Old.RemoteURLs) - 1; i >= 0; i-- {
		snap.addRecent(session.Info{Remote: true, BaseURL: l.Old.RemoteURLs[i]})
	}
	s.refreshDataFolder(&snap)
	zoom := s.loadZoom()
	s.mu.Lock()
	s.rt, s.bg, s.src = rt, ctx, src
	s.onLauncher, s.zoomLevel = true, zoom
	snap.Seq, snap.Opening = s.snap.Seq, s.snap.Opening // macOS may hand over a file before
	s.snap = snap
	s.mu.Unlock()
	if zoom != 1 {
		rt.SetZoom(zoom)
	}
	s.background(func() { s.refreshVersion(ctx) })
	go s.connect(ctx)
	go s.adoptCluster()
	go s.watchEngine(ctx, engineCheckEvery)
	go s.watchJobs(ctx)
	if l.Settings.CheckUpdates {
		go s.checkUpdates(ctx, false)
	}
}

func imageView(v release.Version) ImageView {
	iv := ImageView{Tag: v.Tag, Origin: string(v.Origin)}
	if !v.At.IsZero() {
		iv.At = v.At.Format(time.RFC3339)
	}
	return iv
}

func (s *Service) refreshVersion(ctx context.Context) {
	v, err := s.src.Refresh(ctx)
	if err != nil {
		return // the cached or embedded version stays; status shows where it came from
	}
	s.update(func(sn *Snapshot) { sn.Image = imageView(v) })
	s.refreshVersions(ctx)
}

// connect finds the engine, then adopts a running session if there is one.
func (s *Service) connect(ctx context.Context) { s.connectEngine(ctx, false) }

// connectEngine is connect; quiet is the watcher's retry, which neither
// flashes "Looking for a container engine…" every few seconds nor sends a
// snapshot when the engine is still missing for the same reason.
func (s *Service) connectEngine(ctx context.Context, quiet bool) {
	s.mu.Lock()
	s.connecting++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.connecting--
		s.mu.Unlock()
	}()
	if !quiet {
		s.update(func(sn *Snapshot) { sn.Engine = EngineView{State: "checking"} })
	}
	eng, attempts, err := s.cfg.Connect(ctx)
	var tried []string
	for _, a := range attempts {
		tried = append(tried, a.Endpoint.Host)
	}
	if err != nil {
		view := EngineView{State: "error", Error: FormatError(err), Tried: tried, CanStartDesktop: desktopStartable()}
		if quiet && sameFailure(s.snapshot().Engine, view) {
			return
		}
		s.update(func(sn *Snapshot) { sn.Engine = view })
		return
	}
	i := eng.Info()
	s.mu.Lock()
	if s.eng != nil {
		s.eng.Close()
	}
	s.eng = eng
	s.mu.Unlock()
	if quiet {
		slog.Info("the container engine answers again", "endpoint", eng.Endpoint().Host)
		if rt := s.runtime(); rt != nil {
			rt.Notice(webview.Notice{Key: noticeEngine}) // what it said has ended
		}
	}
	dataErr, free := dataFolderState(s.snapshot().Settings, i.Remote)
	s.update(func(sn *Snapshot) {
		sn.Engine = EngineView{State: "ok", Kind: i.Kind.String(), Version: i.ServerVersion, API: i.APIVersion, Endpoint: eng.Endpoint().Host, Tried: tried, Remote: i.Remote,
			Chosen: sn.Settings.Engine != ""}
		sn.DataError, sn.DataFree = dataErr, free
	})
	if info, found, err := s.manager(eng).Find(ctx); err == nil && found {
		s.setSession(info)
	} else if err == nil {
		s.forgetGoneSession()
	}
	s.continueOpen()
	s.refreshVersions(ctx)
}

func (s *Service) manager(eng Engine) *session.Manager {
	return launcher.Manager(s.env(), eng)
}

func (s *Service) env() launcher.Env {
	return launcher.Env{GOOS: goos, Home: s.cfg.Home, Paths: s.cfg.Paths, Getenv: s.cfg.Getenv, Instance: s.cfg.Instance, Relays: s.relays}
}

func (s *Service) setSession(info session.Info) {
	s.mu.Lock()
	s.session = &info
	s.mu.Unlock()
	var recent []Recent
	s.update(func(sn *Snapshot) {
		sn.Session = SessionView{State: session.StateReady, LabURL: info.LabURL(),
			Adopted: info.Adopted, Remote: info.Remote, SignIn: info.Remote && info.Token == "", Image: info.Image, BaseURL: info.BaseURL, Privileges: info.Privileges,
			Cluster: info.Cluster, JobID: info.JobID, Node: info.Node}
		if !info.Ends.IsZero() {
			sn.Session.Ends = info.Ends.Format(time.RFC3339)
		}
		var notes []string
		if info.Privileges == settings.PrivilegesMinimal && sn.Settings.Privileges == settings.PrivilegesFull {
			notes = append(notes, session.FallbackNote)
		}
		if usual := session.NamesFor(s.cfg.Instance).Container; info.Container != "" && info.Container != usual {
			notes = append(notes, fmt.Sprintf("Somebody else on this computer runs Neurodesktop on this engine, so your session (%s) and your home are your own.", info.Container))
		}
		sn.Session.Note = strings.Join(notes, " ")
		sn.addRecent(info)
		recent = slices.Clone(sn.Recent)
	})
	s.saveRecent(recent)
	// Asked now, so that "Open the Linux desktop" does not wait for it.
	s.background(func() { s.desktopOf(info) })
	s.watchTools(info)
}

// emitInterval caps snapshots at about ten a second: a chatty container
// log or a fast pull must not flood the window.
const emitInterval = 100 * time.Millisecond

// update changes the snapshot under the lock and sends it to the window,
// coalescing changes that come faster than emitInterval (the last one is
// always sent).
func (s *Service) update(f func(*Snapshot)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.snap)
	s.snap.Seq++
	if s.rt == nil || s.emitPending || !(s.onLauncher || browserLaunchers) {
		return
	}
	wait := emitInterval - time.Since(s.lastEmit)
	if wait <= 0 {
		s.emitLocked()
		return
	}
	s.emitPending = true
	time.AfterFunc(wait, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.emitPending = false
		if s.onLauncher || browserLaunchers {
			s.emitLocked()
		}
	})
}

// emitLocked tells the launcher that the state changed. The event carries
// only the sequence number: the page asks State() for the rest, and only
// our own page can call it.
func (s *Service) emitLocked() {
	s.lastEmit = time.Now()
	// Emitting under the lock keeps events in order; the runtime only queues.
	s.rt.Emit(SnapshotEvent, map[string]int64{"seq": s.snap.Seq})
}

// State returns the whole current state. Only the launcher can call it,
// so a call also says the launcher is shown; Go code reads snapshot().
func (s *Service) State() (Snapshot, error) {
	if err := s.fromLauncher(); err != nil {
		return Snapshot{}, err
	}
	s.mu.Lock()
	s.onLauncher = true
	check := s.selfCheck
	s.mu.Unlock()
	if check != nil {
		check.launcherPainted()
	}
	return s.snapshot(), nil
}

// snapshot is a copy of the current state.
func (s *Service) snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snap.clone()
}

// Retry looks for the engine again.
func (s *Service) Retry() (Snapshot, error) {
	if err := s.fromLauncher(); err != nil {
		return Snapshot{}, err
	}
	s.connect(s.bg)
	return s.snapshot(), nil
}

// Start starts (or adopts) the session in the background; progress arrives
// as snapshots. It refuses invalid settings at once, field by field.
func (s *Service) Start() error {
	if err := s.fromLauncher(); err != nil {
		return err
	}
	return s.start()
}

// start is Start for the app itself (a notebook opened from the system).
func (s *Service) start() error {
	ctx, finish, err := s.beginStart()
	if err != nil {
		return err
	}
	s.mu.Lock()
	eng, st := s.eng, s.snap.Settings
	s.mu.Unlock()
	st = s.withOpening(st)
	if eng == nil {
		finish()
		return &problem.Error{Code: problem.EngineNotRunning, Message: "No container engine is connected", Remedy: "Start Docker, then press Retry."}
	}
	if err := settings.Validate(st, s.limits()); err != nil {
		finish()
		return err
	}
	s.update(func(sn *Snapshot) {
		sn.Session = SessionView{State: session.StateChecking}
		sn.Log, sn.ShowLog, sn.Startup = nil, false, session.Stage{}
	})
	s.background(func() {
		defer finish()
		tag, err := s.pickVersion(ctx, eng, st)
		if err != nil {
			s.onEvent(session.Event{State: session.StateFailed, Err: err})
			return
		}
		info, err := s.manager(eng).Start(ctx, session.StartOptions{Settings: st, Tag: tag, OnEvent: s.onEvent})
		if err == nil {
			// Done starting before it shows as ready: a restart asked for
			// the moment it is ready must not find a start in progress.
			finish()
			s.setSession(info)
		}
		s.background(func() { s.refreshVersions(s.bg) })
	})
	go s.followLog(ctx, eng)
	return nil
}

// errCancelled is the person's Cancel, told apart from the app's own end
// (a cluster job is taken off the queue only for the person's).
var errCancelled = errors.New("cancelled by the person")

// beginStart is one check-and-set, so a double click starts one session:
// the start's context (Cancel ends it) and finish, which ends it and lets
// the next start begin (called once or more).
func (s *Service) beginStart() (context.Context, func(), error) {
	ctx, cancelCause := context.WithCancelCause(s.bg)
	cancel := func() { cancelCause(errCancelled) }
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		cancel()
		return nil, nil, &problem.Error{Code: problem.Internal, Message: "A start is already in progress"}
	}
	s.cancel = cancel
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			cancel()
			s.mu.Lock()
			s.cancel = nil
			s.mu.Unlock()
		})
	}, nil
}

// StartOffline is the answer to an engine that refuses even the minimal
// privileges: no privileges, tools from what is downloaded; saved, then
// started.
func (s *Service) StartOffline() error {
	if err := s.fromLauncher(); err != nil {
		return err
	}
	if err := s.changeSettings(func(st *settings.Settings) {
		st.CVMFSMode, st.Privileges = settings.CVMFSOffline, settings.PrivilegesNone
	}); err != nil {
		return err
	}
	return s.Start()
}

// onEvent folds a session event into the snapshot.
func (s *Service) onEvent(e session.Event) {
	s.update(func(sn *Snapshot) {
		if e.State == session.StateReady {
			return // setSession fills in the URL
		}
		v := SessionView{State: e.State, Message: e.Message, Pull: sn.Session.Pull}
		if e.Pull != nil {
			v.Pull = e.Pull
		}
		if e.State == session.StateFailed {
			if errors.Is(e.Err, context.Canceled) {
				v = SessionView{State: session.StateIdle}
			} else {
				problem.Log("start", e.Err)
				v.Error, v.LogTail, v.LogFile = FormatError(e.Err), e.LogTail, e.LogFile
			}
		}
		sn.Session = v
	})
}

// followLog streams the container log into the snapshot while we wait for
// JupyterLab, so a slow start shows what it is doing: the lines, and the
// image's stage as a line of its own.
func (s *Service) followLog(ctx context.Context, eng Engine) {
	w := session.LineWriter(func(line string) {
		stage, isStage := session.StartupStage(line)
		s.update(func(sn *Snapshot) {
			if isStage {
				sn.Startup = stage
			}
			sn.Log = append(sn.Log, line)
			if len(sn.Log) > 200 {
				sn.Log = sn.Log[len(sn.Log)-200:]
			}
		})
	})
	_ = s.manager(eng).FollowStartLog(ctx, w)
}

// DismissFailure is "Back" on the error screen: the failed start is put
// away (its log file stays) and the launcher shows.
func (s *Service) DismissFailure() (Snapshot, error) {
	if err := s.fromLauncher(); err != nil {
		return Snapshot{}, err
	}
	s.update(func(sn *Snapshot) {
		if sn.Session.State == session.StateFailed {
			sn.Session = SessionView{State: session.StateIdle}
		}
	})
	return s.snapshot(), nil
}

// Cancel stops a start in progress; a half-made container is removed.
func (s *Service) Cancel() error {
	if err := s.fromLauncher(); err != nil {
		return err
	}
	s.mu.Lock()
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return nil
}

// Stop asks first (what is kept, what is lost), lets a session page ask
// about unsaved work, then stops the session gracefully and shows the
// launcher. A remote session is only disconnected.
func (s *Service) Stop() error {
	if err := s.fromLauncher(); err != nil {
		return err
	}
	return s.stopAsking()
}

// stopAsking is Stop for the app's own menus and timers, which may act
// while a session page is shown.
func (s *Service) stopAsking() error {
	s.mu.Lock()
	remote, onPage, rt := s.session != nil && s.session.Remote, !s.onLauncher, s.rt
	var onCluster string
	if remote && s.session.Cluster != "" {
		onCluster = s.session.Cluster + " (job " + s.session.JobID + ")"
	}
	s.mu.Unlock()
	if onCluster != "" {
		a, err := rt.Ask(webview.Question{Title: "Stop Neurodesktop", Message: "Stop Neurodesktop on " + onCluster + "?",
			Detail:  "The job ends and its cores are free for others. Your data folder on the cluster is kept.",
			Buttons: []string{"_Stop", "_Cancel"}, Default: 1, Cancel: 1})
		if err != nil || a.Button != 0 {
			return nil
		}
	} else if !remote && !s.confirmStop() {
		return nil
	}
	if onPage {
		rt.Leave(func() {
			s.showLauncher()
			_ = s.stop() // shown on the launcher
		})
		return nil
	}
	return s.stop()
}

// stop stops the session without asking.
func (s *Service) stop() error {
	s.mu.Lock()
	eng, info := s.eng, s.session
	s.session = nil
	s.mu.Unlock()
	if info != nil && info.Cluster != "" {
		return s.stopCluster(info)
	}
	if info != nil && info.Remote {
		s.update(func(sn *Snapshot) { sn.Session = SessionView{State: session.StateIdle} })
		return nil
	}
	if eng == nil {
		return &problem.Error{Code: problem.EngineNotRunning, Message: "No container engine is connected"}
	}
	err := s.manager(eng).Stop(s.bg, func(e session.Event) {
		s.update(func(sn *Snapshot) { sn.Session = SessionView{State: e.State} })
	})
	return s.stopped(err, "Neurodesktop could not be stopped")
}

// stopped shows how a stop ended: idle, or the error under title.
func (s *Service) stopped(err error, title string) error {
	if err != nil {
		problem.Log("stop", err)
		s.update(func(sn *Snapshot) {
			sn.Session = SessionView{State: session.StateFailed, Title: title, Error: FormatError(err)}
		})
		return err
	}
	s.update(func(sn *Snapshot) { sn.Session = SessionView{State: session.StateIdle} })
	return nil
}
