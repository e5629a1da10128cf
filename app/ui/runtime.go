package ui

import "github.com/neurodesk/neurodeskapp/app/webview"

// Runtime is everything the service asks of the window system. The Wails
// implementation (with the native hooks where there are some) is in
// wails.go; tests use a fake.
type Runtime interface {
	Emit(event string, data any)
	ChooseFolder(title, start string) (string, error)
	OpenBrowser(url string)
	Navigate(url string)   // the main window goes to url
	OpenWindow(url string) // a page of the session in a window of its own, where possible
	ShowLauncher()         // the main window goes back to our own page
	Raise()                // bring the window forward (a second launch)
	Quit()                 // close the window; BeforeClose has already agreed
	// Leave lets the shown page say whether it may be left (its unsaved
	// work question), then calls then; never when the person stays.
	Leave(then func())
	// Ask shows a native modal question. It blocks: call it off the GUI thread.
	Ask(q webview.Question) (webview.Answer, error)
	SetTitle(title string)
	// PageBackground paints behind pages: the launcher's dark colour, or
	// white behind other pages, as a browser does.
	PageBackground(launcher bool)
	SetZoom(level float64)
	// Notice shows a short message in the window (a download, say), or
	// withdraws one (webview.Notice).
	Notice(webview.Notice)
	// Forget removes what the web views keep of host's site (cookies,
	// storage) and says which sites' data went. It blocks.
	Forget(host string) (sites []string, err error)
}
