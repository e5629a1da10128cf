package ui

import (
	"context"
	"log/slog"
	"time"

	"github.com/neurodesk/neurodeskapp/app/session"
)

// toolsLook is how often the running card asks where the tools are, until
// they are ready, offline or failed.
const toolsLook = 2 * time.Second

// watchTools follows the tools of a session in a container of ours onto
// the running card: JupyterLab answers before the image has mounted them.
func (s *Service) watchTools(info session.Info) {
	if info.ContainerID == "" || info.Remote || info.Cluster != "" {
		return
	}
	key := sessionKey(info)
	go func() {
		for delay := time.Duration(0); ; delay = toolsLook {
			select {
			case <-s.bg.Done():
				return
			case <-time.After(delay):
			}
			s.mu.Lock()
			eng, current := s.eng, s.session != nil && sessionKey(*s.session) == key
			s.mu.Unlock()
			if !current || eng == nil {
				return
			}
			ctx, cancel := context.WithTimeout(s.bg, 10*time.Second)
			t, err := s.manager(eng).Tools(ctx, eng, info)
			cancel()
			if err != nil {
				continue // an engine that went away is the engine watcher's to report
			}
			s.update(func(sn *Snapshot) {
				if s.session != nil && sessionKey(*s.session) == key && sn.Session.State == session.StateReady {
					sn.Session.Tools = &t
				}
			})
			if t.Final() {
				slog.Info("Neurodesk tools", "state", t.State, "detail", t.Detail)
				return
			}
		}
	}()
}
