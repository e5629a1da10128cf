package session

import (
	"context"
	"maps"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/settings"
)

// RunBase is a session's container for these settings and image, the
// contract that unattended runs (app/jobs) start from: the image's user,
// the privileges the tools need, the data folder and the person's mounts.
func (m *Manager) RunBase(ctx context.Context, st settings.Settings, img Image) engine.ContainerSpec {
	info := m.Engine.Info()
	gateway := ""
	if info.Kind == engine.KindPodman {
		gateway, _ = m.Engine.BridgeGateway(ctx) // "" falls back to host-gateway
	}
	if st.Privileges == settings.PrivilegesFull && m.remembers(refusalKey(info)) {
		st.Privileges = settings.PrivilegesMinimal
	}
	return Spec(Params{Names: m.Names, Settings: st, Image: img.Ref, Version: img.Version, Facts: m.Facts,
		Users: UsersFor(info, m.Facts), AppArmor: info.AppArmor, Gateway: gateway})
}

// FallBack is spec with the minimal privileges CVMFS needs, when err is the
// engine refusing the full ones (as run does for a session); the refusal is
// remembered for the next containers.
func (m *Manager) FallBack(spec engine.ContainerSpec, err error) (engine.ContainerSpec, bool) {
	if !spec.Privileged || !refused(err) {
		return spec, false
	}
	m.remember(refusalKey(m.Engine.Info()))
	minimal(&spec)
	spec.Labels = maps.Clone(spec.Labels)
	spec.Labels[LabelPrivileges] = settings.PrivilegesMinimal
	return spec, true
}
