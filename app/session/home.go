package session

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/neurodesk/neurodeskapp/app/engine"
)

// prepareHome makes sure the home volume exists and belongs to NB_UID:NB_GID,
// changing ownership (with a one-shot container) only when it does not.
func (m *Manager) prepareHome(ctx context.Context, image string) error {
	labels := map[string]string{LabelManaged: "true"}
	created, err := m.Engine.EnsureVolume(ctx, m.Names.HomeVolume, labels)
	if err != nil {
		return err
	}
	users := UsersFor(m.Engine.Info(), m.Facts)
	want := strconv.Itoa(users.UID) + ":" + strconv.Itoa(users.GID)
	// Checked before for this very volume and owner: no helper container.
	key := homeKey(m.Engine.Info(), m.Names.HomeVolume, created, want)
	if m.remembers(key) {
		return nil
	}
	// Helpers go unnamed, so one left behind by a crash cannot block the next.
	helper := func(role string, entrypoint ...string) engine.ContainerSpec {
		return engine.ContainerSpec{
			Image:      image,
			Labels:     map[string]string{LabelManaged: "true", LabelRole: role},
			Entrypoint: entrypoint,
			User:       "root",
			UsernsMode: users.UsernsMode,
			Mounts:     []engine.Mount{{Volume: true, Source: m.Names.HomeVolume, Target: HomeTarget}},
		}
	}
	code, out, err := m.Engine.RunOnce(ctx, helper("home-check", "stat", "-c", "%u:%g", HomeTarget))
	if err != nil {
		return fmt.Errorf("check the owner of the home volume: %w", err)
	}
	if code == 0 && strings.TrimSpace(out) == want {
		m.remember(key)
		return nil
	}
	code, out, err = m.Engine.RunOnce(ctx, helper("home-chown", "chown", "-R", want, HomeTarget))
	if err != nil {
		return fmt.Errorf("give the home volume to %s: %w", want, err)
	}
	if code != 0 {
		return fmt.Errorf("give the home volume to %s: chown exited %d: %s", want, code, strings.TrimSpace(out))
	}
	m.remember(key)
	return nil
}
