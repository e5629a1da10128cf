package ui

import (
	"runtime"
	"slices"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/session"
	"github.com/neurodesk/neurodeskapp/app/settings"
)

const goos = runtime.GOOS

// Snapshot is everything the window shows. It is sent whole on every
// change, so a page that reloads or subscribes late shows the truth.
type Snapshot struct {
	Seq          int64             `json:"seq"`
	AppVersion   string            `json:"app_version"`
	Engine       EngineView        `json:"engine"`
	Image        ImageView         `json:"image"`
	Settings     settings.Settings `json:"settings"`
	SettingsNote string            `json:"settings_note,omitempty"`
	// Cluster is what the launcher's cluster card says of a job it looks
	// for at launch.
	Cluster ClusterNote `json:"cluster"`
	// Home is this computer's home folder, for showing folders in it as ~.
	Home      string      `json:"home,omitempty"`
	DataFree  uint64      `json:"data_free"`
	DataError string      `json:"data_error,omitempty"`
	Session   SessionView `json:"session"`
	Log       []string    `json:"log"`
	// Startup is what the image does during a start, read from Log.
	Startup  session.Stage `json:"startup"`
	Recent   []Recent      `json:"recent"`
	Update   UpdateView    `json:"update"`
	Versions VersionsView  `json:"versions"`
	// Opening is what the system asked to open, until JupyterLab shows it.
	Opening *OpenView `json:"opening,omitempty"`
	// ShowLog opens the log panel (from the menu).
	ShowLog bool `json:"show_log"`
	// Jobs are the notebooks run unattended, newest first (jobs.go).
	Jobs []JobView `json:"jobs"`
}

// EngineView is the engine's state on the launcher.
type EngineView struct {
	State           string     `json:"state"` // checking, ok, error
	Kind            string     `json:"kind,omitempty"`
	Version         string     `json:"version,omitempty"`
	API             string     `json:"api,omitempty"`
	Endpoint        string     `json:"endpoint,omitempty"`
	Chosen          bool       `json:"chosen,omitempty"` // the engine chosen in Settings
	Tried           []string   `json:"tried,omitempty"`
	Error           *ErrorView `json:"error,omitempty"`
	CanStartDesktop bool       `json:"can_start_desktop"`
	// Remote: the engine is on another machine; folders are paths there.
	Remote bool `json:"remote"`
}

// ImageView is the Neurodesktop version and where it came from.
type ImageView struct {
	Tag    string `json:"tag"`
	Origin string `json:"origin"` // remote, cache, embedded
	At     string `json:"at,omitempty"`
}

// ClusterNote is a line on the cluster card; while Busy, its Start waits.
type ClusterNote struct {
	Text string `json:"text,omitempty"`
	Busy bool   `json:"busy,omitempty"`
}

// SessionView is the session's state.
type SessionView struct {
	State   session.State        `json:"state"`
	Message string               `json:"message,omitempty"`
	Pull    *engine.PullProgress `json:"pull,omitempty"`
	Error   *ErrorView           `json:"error,omitempty"`
	LogTail []string             `json:"log_tail,omitempty"`
	LogFile string               `json:"log_file,omitempty"`
	LabURL  string               `json:"lab_url,omitempty"`
	BaseURL string               `json:"base_url,omitempty"`
	Image   string               `json:"image,omitempty"`
	Adopted bool                 `json:"adopted,omitempty"`
	Remote  bool                 `json:"remote,omitempty"`
	// SignIn: a remote server the person signs in to on its own page (a
	// hub), which has no desktop at an address of ours.
	SignIn     bool   `json:"sign_in,omitempty"`
	Privileges string `json:"privileges,omitempty"`
	// Note is what the launcher should say about how the session runs.
	Note string `json:"note,omitempty"`
	// Title heads the error screen; "" is "Neurodesktop could not start".
	Title string `json:"title,omitempty"`
	// On an HPC cluster: its login node, the job, its node and when the
	// job's time is up (RFC 3339; "" when unlimited).
	Cluster string `json:"cluster,omitempty"`
	JobID   string `json:"job_id,omitempty"`
	Node    string `json:"node,omitempty"`
	Ends    string `json:"ends,omitempty"`
	// Tools is where Neurodesk's tools are (nil: not known, or not ours
	// to look into).
	Tools *session.Tools `json:"tools,omitempty"`
}

// Recent is a session to reopen. Tokens of remote sessions are not kept.
type Recent struct {
	Kind string `json:"kind"` // local or remote
	Name string `json:"name"` // data folder or URL
	At   string `json:"at"`
}

func (s Snapshot) clone() Snapshot {
	c := s
	c.Log = slices.Clone(s.Log)
	c.Recent = slices.Clone(s.Recent)
	c.Settings.Mounts = slices.Clone(s.Settings.Mounts)
	c.Settings.RemoteServers = slices.Clone(s.Settings.RemoteServers)
	c.Versions.OnDisk = slices.Clone(s.Versions.OnDisk)
	return c
}

func (s *Snapshot) addRecent(info session.Info) {
	if info.Cluster != "" {
		return // its address is a tunnel's, gone with it; Settings name the cluster
	}
	r := Recent{Kind: "local", Name: info.DataFolder, At: time.Now().Format(time.RFC3339)}
	if info.Remote {
		r = Recent{Kind: "remote", Name: info.BaseURL, At: r.At}
	}
	if r.Name == "" {
		r.Name = s.Settings.DataFolder
	}
	s.Recent = slices.DeleteFunc(s.Recent, func(x Recent) bool { return x.Kind == r.Kind && x.Name == r.Name })
	s.Recent = append([]Recent{r}, s.Recent...)
	if len(s.Recent) > 6 {
		s.Recent = s.Recent[:6]
	}
}
