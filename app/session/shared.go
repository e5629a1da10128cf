package session

import (
	"os/user"
	"strconv"
	"strings"

	"github.com/neurodesk/neurodeskapp/app/engine"
)

// One engine, several people: a rootful daemon on a shared workstation
// serves every account. The contract's names go to whoever takes them
// first; everyone else gets names of their own (personal), so nobody's
// session is adopted, and nobody's home volume handed over, by somebody
// else. What is whose is written on it (LabelOwner) when it is made.

// personal is this person's own names: the contract's with a suffix.
func (m *Manager) personal() Names {
	s := ownerSuffix(m.Facts.OwnerName, m.Facts.Owner)
	return Names{Container: m.Names.Container + "-" + s, HomeVolume: m.Names.HomeVolume + "-" + s, Personal: true}
}

// ownerSuffix is the user name as an engine takes it in a name
// ([a-z0-9_.-]), or "u" and the uid when the name has nothing usable.
func ownerSuffix(name, uid string) string {
	clean := func(s string) string {
		var b strings.Builder
		for _, r := range strings.ToLower(s) {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
				b.WriteRune(r)
			default:
				b.WriteByte('-')
			}
		}
		return strings.Trim(b.String(), "-.")
	}
	if i := strings.LastIndexAny(name, `\/`); i >= 0 {
		name = name[i+1:] // DOMAIN\user
	}
	if s := clean(name); s != "" {
		return s
	}
	return "u" + clean(uid)
}

// ownerLabels mark a container or volume as this person's.
func (m *Manager) ownerLabels() map[string]string {
	return map[string]string{LabelManaged: "true", LabelOwner: m.Facts.Owner, LabelOwnerName: m.Facts.OwnerName}
}

// someoneElses reports whether c is another person's session, made by this
// app and marked with its owner. One from before the owner labels may be
// this person's own, with unsaved work: it is reported, not stepped around.
func (m *Manager) someoneElses(c engine.Container) bool {
	owner := c.Labels[LabelOwner]
	return c.Labels[LabelManaged] == "true" && owner != "" && owner != m.Facts.Owner
}

// anotherPersons reports whether files owned by uid, in a home volume from
// before the owner labels (1.x, older versions of this app), are another
// account's of this computer: on a rootful Linux engine NB_UID is the host
// uid, so a person's home volume carries their uid.
func (m *Manager) anotherPersons(uid int) bool {
	info := m.Engine.Info()
	if m.Facts.OS != "linux" || info.Rootless || info.Remote || uid == m.Facts.UID || uid < 1000 {
		return false
	}
	isPerson := m.IsPerson
	if isPerson == nil {
		isPerson = func(uid int) bool { _, err := user.LookupId(strconv.Itoa(uid)); return err == nil }
	}
	return isPerson(uid)
}
