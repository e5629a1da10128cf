package session

import (
	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/platform"
)

// Users is how the Jupyter user inside the container (NB_UID:NB_GID) maps to
// the host user, so that what JupyterLab writes into the data folder belongs
// to the person running the app.
type Users struct {
	UID, GID int
	// UsernsMode is the engine's user namespace mode for the container.
	UsernsMode string
	// AllowRoot: Jupyter runs as uid 0 inside, and must be told that is fine.
	AllowRoot bool
}

// UsersFor picks the mapping for this engine. A rootless engine runs
// containers in a user namespace where the host user is root: on rootful
// engines NB_UID is the host uid itself; rootless Podman's keep-id maps the
// host uid to the same uid inside; rootless Docker has no keep-id, so the
// Jupyter user is uid 0 inside, which is the host user outside.
func UsersFor(info engine.Info, f platform.Facts) Users {
	switch {
	case info.Rootless && info.Kind == engine.KindPodman:
		return Users{UID: f.UID, GID: f.GID, UsernsMode: "keep-id"}
	case info.Rootless:
		return Users{UID: 0, GID: 0, AllowRoot: true}
	}
	return Users{UID: f.UID, GID: f.GID}
}
