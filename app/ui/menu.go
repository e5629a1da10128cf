package ui

import (
	"context"
	"runtime"

	"github.com/wailsapp/wails/v2/pkg/menu"
	"github.com/wailsapp/wails/v2/pkg/menu/keys"
	wrt "github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/neurodesk/neurodeskapp/app/buildinfo"
	"github.com/neurodesk/neurodeskapp/app/platform"
)

// buildMenu is the native menu: the way back to the launcher and the
// session's actions live here, because JupyterLab fills the window.
func buildMenu(svc *Service, ctx func() context.Context) *menu.Menu {
	m := menu.NewMenu()
	if runtime.GOOS == "darwin" {
		m.Append(menu.AppMenu())
		m.Append(menu.EditMenu()) // copy and paste inside JupyterLab need it
	}
	s := m.AddSubmenu("Session")
	s.AddText("Back to Launcher", keys.CmdOrCtrl("l"), func(*menu.CallbackData) { wrt.WindowReloadApp(ctx()) })
	s.AddText("Open Neurodesktop Desktop", keys.CmdOrCtrl("d"), func(*menu.CallbackData) { _ = svc.OpenDesktop() })
	s.AddText("Open JupyterLab", keys.CmdOrCtrl("j"), func(*menu.CallbackData) { _ = svc.OpenSession() })
	s.AddText("Open in System Browser", nil, func(*menu.CallbackData) { _ = svc.OpenInBrowser() })
	s.AddText("Show Container Log", nil, func(*menu.CallbackData) {
		svc.update(func(sn *Snapshot) { sn.ShowLog = true })
		wrt.WindowReloadApp(ctx())
	})
	s.AddSeparator()
	s.AddText("Stop Session", nil, func(*menu.CallbackData) {
		go func() {
			_ = svc.Stop()
			wrt.WindowReloadApp(ctx())
		}()
	})
	if runtime.GOOS != "darwin" {
		s.AddSeparator()
		s.AddText("Quit", keys.CmdOrCtrl("q"), func(*menu.CallbackData) { wrt.Quit(ctx()) })
	}
	h := m.AddSubmenu("Help")
	h.AddText("Check for Updates", nil, func(*menu.CallbackData) {
		wrt.WindowReloadApp(ctx())
		_ = svc.CheckForUpdates()
	})
	h.AddText("Show App Log Folder", nil, func(*menu.CallbackData) { wrt.BrowserOpenURL(ctx(), platform.FileURL(svc.cfg.Paths.StateDir)) })
	h.AddText("About Neurodesk", nil, func(*menu.CallbackData) {
		b := buildinfo.Get()
		_, _ = wrt.MessageDialog(ctx(), wrt.MessageDialogOptions{Type: wrt.InfoDialog, Title: "About Neurodesk",
			Message: "Neurodesk " + b.Version + "\nCommit " + b.Commit + ", built " + b.Date + "\n" + b.GoVersion + ", Wails " + b.Wails + ", " + b.Platform})
	})
	return m
}
