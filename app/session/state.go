package session

import (
	"net/url"
	"strings"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
)

// State is where a session is in its life.
type State string

const (
	StateIdle     State = "idle"
	StateChecking State = "checking_engine"
	StateQueued   State = "queued" // a cluster job waits for its resources
	StatePulling  State = "pulling"
	StateCreating State = "creating"
	StateStarting State = "starting"
	StateWaiting  State = "waiting_for_jupyter"
	StateReady    State = "ready"
	StateStopping State = "stopping"
	StateStopped  State = "stopped"
	StateFailed   State = "failed"
)

// Event reports a state change or pull progress.
type Event struct {
	State   State                `json:"state"`
	Message string               `json:"message,omitempty"`
	Pull    *engine.PullProgress `json:"pull,omitempty"`
	Session *Info                `json:"session,omitempty"`
	Err     error                `json:"-"`
	// LogTail is the container's last log lines when a start failed.
	LogTail []string `json:"log_tail,omitempty"`
	// LogFile is where those lines were kept.
	LogFile string    `json:"log_file,omitempty"`
	At      time.Time `json:"at"`
}

// Info describes a running session.
type Info struct {
	ContainerID string `json:"container_id,omitempty"`
	// Container is its name: the contract's, or this person's own on an
	// engine somebody else uses too (shared.go).
	Container  string `json:"container,omitempty"`
	Image      string `json:"image,omitempty"`
	Version    string `json:"version,omitempty"`
	DataFolder string `json:"data_folder,omitempty"`
	WorkFolder string `json:"work_folder,omitempty"` // mounted at /data
	BaseURL    string `json:"base_url"`              // http://127.0.0.1:PORT
	Token      string `json:"-"`                     // kept out of logs and JSON; see LabURL
	Adopted    bool   `json:"adopted"`
	Remote     bool   `json:"remote"`
	// Privileges the container runs with (full, minimal, none).
	Privileges string `json:"privileges,omitempty"`
	// Cluster is the login node of the HPC cluster it runs on as SLURM job
	// JobID, on Node until Ends; BaseURL is then a tunnel's end.
	Cluster string    `json:"cluster,omitempty"`
	JobID   string    `json:"job_id,omitempty"`
	Node    string    `json:"node,omitempty"`
	Ends    time.Time `json:"ends,omitzero"`
}

// LabURL is the address that opens JupyterLab, token included; without
// one (a hub's login) the server's own first page.
func (i Info) LabURL() string {
	if i.Token == "" {
		return i.BaseURL + "/"
	}
	return i.BaseURL + "/lab?token=" + i.Token
}

// FileURL opens a file or folder in JupyterLab: path is relative to the
// file browser's root (the home), slash-separated.
func (i Info) FileURL(path string) string {
	parts := strings.Split(path, "/")
	for n, p := range parts {
		parts[n] = url.PathEscape(p)
	}
	return i.BaseURL + "/lab/tree/" + strings.Join(parts, "/") + "?token=" + i.Token
}

// DesktopURL opens the Linux desktop at the route the session offers (see
// FindDesktop).
func (i Info) DesktopURL(d Desktop) string {
	if i.Token == "" {
		return i.BaseURL + d.Path
	}
	return i.BaseURL + d.Path + "?token=" + i.Token
}
