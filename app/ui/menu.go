package ui

import (
	"runtime"

	"github.com/wailsapp/wails/v2/pkg/menu"
	"github.com/wailsapp/wails/v2/pkg/menu/keys"

	"github.com/neurodesk/neurodeskapp/app/buildinfo"
	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/webview"
)

// buildMenu is the native menu: the way back to the launcher and the
// session's actions live here, because JupyterLab fills the window.
//
// The keyboard belongs to the page: JupyterLab, its terminal and the
// desktop's programs need every Ctrl+letter, and GTK gives accelerators
// the key before the page sees it. So the only accelerators are Quit
// (which asks on a session page) and zoom, which browsers own too.
// Menu callbacks run on the GUI thread: anything that may ask a question
// runs in a goroutine.
func buildMenu(svc *Service) *menu.Menu {
	m := menu.NewMenu()
	if runtime.GOOS == "darwin" {
		m.Append(menu.AppMenu())
		m.Append(menu.EditMenu()) // copy and paste inside JupyterLab need it
	}
	s := m.AddSubmenu("Session")
	s.AddText("Back to Launcher", nil, func(*menu.CallbackData) { go svc.backToLauncher() })
	s.AddText("Open JupyterLab", nil, func(*menu.CallbackData) { go svc.openSessionPage() })
	s.AddText("Open the Linux Desktop", nil, func(*menu.CallbackData) { go svc.openDesktop() })
	s.AddText("Open in System Browser", nil, func(*menu.CallbackData) { go svc.openInBrowser() })
	s.AddText("Show Container Log", nil, func(*menu.CallbackData) {
		svc.update(func(sn *Snapshot) { sn.ShowLog = true })
		go svc.backToLauncher()
	})
	s.AddSeparator()
	s.AddText("Stop Session…", nil, func(*menu.CallbackData) { go svc.stopAsking() })
	if runtime.GOOS != "darwin" {
		s.AddSeparator()
		s.AddText("Quit", keys.CmdOrCtrl("q"), func(*menu.CallbackData) { svc.runtime().Quit() })
	}
	v := m.AddSubmenu("View")
	v.AddText("Zoom In", keys.CmdOrCtrl("="), func(*menu.CallbackData) { svc.zoom(1) })
	v.AddText("Zoom Out", keys.CmdOrCtrl("-"), func(*menu.CallbackData) { svc.zoom(-1) })
	v.AddText("Actual Size", keys.CmdOrCtrl("0"), func(*menu.CallbackData) { svc.zoom(0) })
	h := m.AddSubmenu("Help")
	h.AddText("Check for Updates", nil, func(*menu.CallbackData) {
		go func() {
			svc.backToLauncher()
			_ = svc.checkForUpdatesNow()
		}()
	})
	h.AddText("Show App Log Folder", nil, func(*menu.CallbackData) {
		svc.runtime().OpenBrowser(platform.FileURL(svc.cfg.Paths.StateDir))
	})
	h.AddText("About Neurodesk", nil, func(*menu.CallbackData) {
		b := buildinfo.Get()
		go svc.runtime().Ask(webview.Question{Title: "About Neurodesk", Message: "Neurodesk " + b.Version,
			Detail:  "Neurodesktop on your own computer.\nCommit " + b.Commit + ", built " + b.Date + "\n" + b.GoVersion + ", Wails " + b.Wails + ", " + b.Platform,
			Buttons: []string{"OK"}})
	})
	return m
}
