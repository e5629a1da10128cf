// Package webview reaches into the app window's web view for what Wails v2
// does not offer: requests for new windows, downloads, the page's title,
// zoom, leaving a page only when it agrees (its beforeunload question),
// plain windows for pages of the session, and dialogs with buttons and a
// check box of our own. It decides nothing: app/ui says what happens.
//
// Where it is not available (Attach returns ErrUnsupported) the app falls
// back to what Wails offers. The Linux (WebKitGTK) side has them all; the
// Windows (WebView2) and macOS (WKWebView) sides have new windows, plain
// windows, downloads, the title, zoom and the page guard (PageGuard), and
// leave questions and notices to Wails.
package webview

import "errors"

// ErrUnsupported means this platform has no native hooks here.
var ErrUnsupported = errors.New("native web view hooks are not available on this platform")

// Hooks are told what happens in the web views. They are called on the
// GUI thread: they must return at once and never wait for the GUI.
type Hooks struct {
	// NewWindow is every request for a new window: window.open,
	// target=_blank, "Open Link in New Window". No window is opened.
	NewWindow func(NewWindowRequest)
	// PageChanged is the main view's new address, once it is committed.
	PageChanged func(uri string)
	// TitleChanged is the title of a page in a view (main or plain window).
	TitleChanged func(main bool, title string)
	// DownloadTo says where a download goes ("" refuses it).
	DownloadTo func(suggested string) string
	// Download reports a download's end.
	Download func(Download)
	// DownloadRoom says whether a download into file, received bytes so
	// far of expected (0 if unknown), may go on; asked now and then.
	DownloadRoom func(file string, received, expected uint64) bool
	// ContextMenu says whether the right-click menu may show on uri.
	ContextMenu func(uri string) bool
	// OpenFolder is the download notice's "Show in Folder".
	OpenFolder func(path string)
	// MayNavigate says whether the main view may go from from to to (a
	// frame's navigation included); nil allows every one.
	MayNavigate func(to, from string) bool
}

// NewWindowRequest is a page asking for a new window.
type NewWindowRequest struct {
	URL         string
	UserGesture bool
	FromMain    bool // the main window asked (not a plain window)
}

// Download is a finished or failed download.
type Download struct {
	URL  string
	File string // where it was written
	Err  string // why it failed; "" when it did not
	// Claimed is the file DownloadTo gave that the download did not use
	// (the web view picked another name): still empty, for the app to remove.
	Claimed string
}

// Question is a modal question with buttons of our own. A button's "_"
// marks its access key (Alt+letter) where the platform has them.
type Question struct {
	Title, Message, Detail string
	Buttons                []string
	Default, Cancel        int    // indexes into Buttons; Cancel is also Esc
	Remember               string // a check box's label; "" for none
}

// Answer is the button pressed and the check box's state.
type Answer struct {
	Button   int
	Remember bool
}

// Native is what the app asks of the window system directly. What a
// platform's hooks cannot do are the optional interfaces below; the app
// falls back to what Wails offers for those.
type Native interface {
	// Load shows uri in the main view.
	Load(uri string)
	// SetZoom sets the main view's zoom (1 is 100%).
	SetZoom(level float64)
}

// WindowOpener shows uri in a plain window of its own: same cookies, no
// access to the app.
type WindowOpener interface{ OpenWindow(uri string) }

// Leaver asks the main view's page whether it may be left (its
// beforeunload question, if it has one) and calls then if it may.
type Leaver interface{ Leave(then func()) }

// Asker shows a modal question; it blocks, so never call it on the GUI thread.
type Asker interface {
	Ask(Question) (Answer, error)
}

// Noticer shows a line below the page, with "Show in Folder" when the
// notice has a folder.
type Noticer interface{ Notice(Notice) }

// Notice is a line below the page. One that matters Stays until the person
// closes it or the app withdraws it; others go after a while. A notice
// with a Key replaces the one showing with that key, and an empty Text
// withdraws it (the condition it told of has ended).
type Notice struct {
	Key, Text, Folder string
	Stays             bool
}

// Forgetter forgets what the web views keep of a server: its cookies (its
// sign-in), storage and caches. done is told, off the GUI thread, which
// sites' data went (the platform keeps it by site: neurodesk.org for
// play-europe.neurodesk.org, so its sister servers' too).
type Forgetter interface {
	Forget(host string, done func(sites []string, err error))
}

// AllSites in Forget's sites says that every server's data went.
const AllSites = "*"

// CookieKeeper keeps the views' cookies in file across restarts, where the
// web view would keep them in memory only (WebKitGTK).
type CookieKeeper interface{ KeepCookies(file string) }

// Checker is what --self-check asks of the hooks: which are installed,
// and a picture of the main view as it is now.
type Checker interface {
	// Installed names the hooks connected to the main view.
	Installed() []string
	// Snapshot writes what the main view shows to path as a PNG.
	Snapshot(path string) error
}

// PageGuard is how the app asks a page about unsaved work where the web
// view has no way to ask the page itself (WKWebView, and WebView2 when the
// window closes): it runs the page's beforeunload handlers on an event of
// our own and reads whether they object. The page learns nothing of the
// app and can reach nothing in it; at worst it answers wrongly.
type PageGuard interface {
	// Unsaved reports, off the GUI thread, whether the main view's page
	// has work its beforeunload handlers would warn about.
	Unsaved(report func(unsaved bool))
	// Release stops the page's beforeunload handlers, so the web view does
	// not ask again after the person chose to leave.
	Release()
}

// UnsavedScript evaluates to true when the page's beforeunload handlers
// object to leaving: they cancel the event or set its returnValue (what
// JupyterLab, the classic Notebook and most pages do).
const UnsavedScript = `(function () {
  try {
    var e = document.createEvent("BeforeUnloadEvent");
    e.initEvent("beforeunload", false, true);
    window.dispatchEvent(e);
    return !!(e.defaultPrevented || e.returnValue);
  } catch (x) {
    return false;
  }
})()`

// ReleaseScript disarms the page's beforeunload handlers: a listener at
// the window cannot run before those already there, so what they call to
// object (preventDefault, the returnValue setter) becomes a no-op, and the
// handler property is cleared.
const ReleaseScript = `(function () {
  var p = window.BeforeUnloadEvent && BeforeUnloadEvent.prototype;
  if (p) {
    Object.defineProperty(p, "returnValue", { configurable: true, get: function () { return ""; }, set: function () {} });
    Object.defineProperty(p, "preventDefault", { configurable: true, value: function () {} });
  }
  window.onbeforeunload = null;
  return true;
})()`
