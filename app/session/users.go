package session

import (
	"fmt"
	"strconv"

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
	// docker-stacks' start.sh then wants NB_USER=root (its useradd refuses a
	// second uid 0) and makes /home/root the home.
	AllowRoot bool
}

// name is NB_USER: the image's jovyan, or root when Jupyter runs as uid 0.
func (u Users) name() string {
	if u.AllowRoot {
		return "root"
	}
	return "jovyan"
}

// home is where the home volume is mounted: NB_USER's home.
func (u Users) home() string {
	if u.AllowRoot {
		return RootHomeTarget
	}
	return HomeTarget
}

// UsersFor picks the mapping for this engine. A rootless engine runs
// containers in a user namespace where the host user is root: on rootful
// engines NB_UID is the host uid itself; rootless Podman's keep-id maps the
// host user to the image's own jovyan (1000:100), so docker-stacks' start.sh
// has nothing to refit (plain keep-id adds the host uid to /etc/passwd, and
// start.sh's useradd then refuses it as taken); Podman before 4.3 can only
// keep the uid itself; rootless Docker has no keep-id, so the Jupyter user
// is uid 0 inside, which is the host user outside.
func UsersFor(info engine.Info, f platform.Facts) Users {
	switch {
	case info.Rootless && info.Kind == engine.KindPodman && !versionBelow(info.ServerVersion, 4, 3):
		return Users{UID: imageUID, GID: imageGID, UsernsMode: fmt.Sprintf("keep-id:uid=%d,gid=%d", imageUID, imageGID)}
	case info.Rootless && info.Kind == engine.KindPodman:
		return Users{UID: f.UID, GID: f.GID, UsernsMode: "keep-id"}
	case info.Rootless:
		return Users{UID: 0, GID: 0, AllowRoot: true}
	}
	return Users{UID: f.UID, GID: f.GID}
}

// The image's own Jupyter user, jovyan (docker-stacks' NB_UID and NB_GID).
const (
	imageUID = 1000
	imageGID = 100
)

// versionBelow reports whether an engine version such as "4.3.1" is below
// major.minor; an unreadable one is taken as recent.
func versionBelow(v string, major, minor int) bool {
	var ma, mi int
	if n, _ := fmt.Sscanf(v, "%d.%d", &ma, &mi); n < 2 {
		return false
	}
	return ma < major || (ma == major && mi < minor)
}

// FactsOn is who the person is on the engine's host. Over SSH that is the
// account the app logs in as: its uid tells people apart on a shared host
// (two laptops may both be uid 1000 here) and Jupyter runs as it, so that
// what it writes into a folder of that host is the account's. A remote
// engine reached without SSH cannot say who we are there; this computer's
// name is added to the owner so that two computers' sessions stay apart.
func FactsOn(info engine.Info, local platform.Facts, hostname string) platform.Facts {
	f := local
	switch {
	case info.Account != nil:
		a := info.Account
		f.Owner, f.OwnerName = strconv.Itoa(a.UID), a.Name
		f.UID, f.GID = a.UID, a.GID
		if a.UID == 0 { // as for root here: Jupyter runs as the image's own user
			f.UID, f.GID = 1000, 1000
		}
	case info.Remote && hostname != "":
		f.Owner, f.OwnerName = f.Owner+"@"+hostname, f.OwnerName+"@"+hostname
	}
	return f
}
