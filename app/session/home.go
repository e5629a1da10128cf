package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/problem"
)

// prepareHome finds this person's home volume (the contract's, unless it
// is somebody else's: then one of their own), makes sure it belongs to
// NB_UID:NB_GID, changing ownership (with a one-shot container) only when
// it does not, and returns its name.
func (m *Manager) prepareHome(ctx context.Context, image string) (string, error) {
	for _, name := range []string{m.Names.HomeVolume, m.personal().HomeVolume} {
		mine, err := m.prepareVolume(ctx, image, name)
		if err != nil || mine {
			return name, err
		}
	}
	return "", &problem.Error{Code: problem.OtherUser, Message: "The home volumes " + m.Names.HomeVolume + " and " + m.personal().HomeVolume + " both belong to somebody else",
		Remedy: "They were left untouched. Give this app names of its own with NEURODESKAPP_INSTANCE=<name>."}
}

// prepareVolume readies the named home volume for this person, or reports
// (false) that it is somebody else's, untouched.
func (m *Manager) prepareVolume(ctx context.Context, image, name string) (bool, error) {
	labels := m.ownerLabels()
	labels[LabelVolumeID] = newVolumeID()
	vol, err := m.Engine.EnsureVolume(ctx, name, labels)
	if err != nil {
		return false, err
	}
	owner, labelled := vol.Labels[LabelOwner]
	if labelled && owner != m.Facts.Owner {
		return false, nil
	}
	users := UsersFor(m.Engine.Info(), m.Facts)
	want := strconv.Itoa(users.UID) + ":" + strconv.Itoa(users.GID)
	// Checked before for this very volume and owner: no helper container.
	// The volume is known by the id it was made with: Docker's CreatedAt
	// for a local volume is its folder's time, which a new file in the home
	// changes. Volumes made before the id have only that.
	made := vol.Labels[LabelVolumeID]
	if made == "" {
		made = vol.CreatedAt
	}
	key := homeKey(m.Engine.Info(), name, made, want)
	if m.remembers(key) {
		return true, nil
	}
	// Helpers go unnamed, so one left behind by a crash cannot block the next.
	helper := func(role string, entrypoint ...string) engine.ContainerSpec {
		return engine.ContainerSpec{
			Image:      image,
			Labels:     map[string]string{LabelManaged: "true", LabelRole: role},
			Entrypoint: entrypoint,
			User:       "root",
			UsernsMode: users.UsernsMode,
			Mounts:     []engine.Mount{{Volume: true, Source: name, Target: HomeTarget}},
		}
	}
	code, out, err := m.Engine.RunOnce(ctx, helper("home-check", "stat", "-c", "%u:%g", HomeTarget))
	if err != nil {
		return false, fmt.Errorf("check the owner of the home volume: %w", err)
	}
	got := strings.TrimSpace(out)
	if code == 0 && got == want {
		m.remember(key)
		return true, nil
	}
	if uid, err := strconv.Atoi(strings.SplitN(got, ":", 2)[0]); code == 0 && err == nil && !labelled && m.anotherPersons(uid) {
		return false, nil
	}
	code, out, err = m.Engine.RunOnce(ctx, helper("home-chown", "chown", "-R", want, HomeTarget))
	if err != nil {
		return false, fmt.Errorf("give the home volume to %s: %w", want, err)
	}
	if code != 0 {
		return false, fmt.Errorf("give the home volume to %s: chown exited %d: %s", want, code, strings.TrimSpace(out))
	}
	m.remember(key)
	return true, nil
}

// newVolumeID names a volume made now, for as long as it exists.
func newVolumeID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail (Go 1.24+)
	return hex.EncodeToString(b)
}
