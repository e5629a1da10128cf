//go:build windows && (dev || production)

package webview

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/wailsapp/go-webview2/pkg/edge"
	"golang.org/x/sys/windows"
)

// win is the WebView2 side. Wails v2 keeps its WebView2 (go-webview2's
// Chromium) and its window in unexported fields of its Windows frontend;
// Attach reads them by reflection and fails, leaving Wails' defaults, if a
// Wails version moves them. Every COM call runs on the window's thread
// (invoke); the handlers are called there too.
type win struct {
	hooks    Hooks
	chromium *edge.Chromium
	invoke   func(func()) bool
	mainHWND uintptr // 0 if this Wails does not say
	view     *comObj

	vtbl, resultVtbl                        *comHandlerVtbl
	onNewWindow, onSource, onTitle, onDown  *comHandler
	onState, onPlainNewWindow, onPlainTitle *comHandler
	onBytes                                 *comHandler

	// Plain windows (windows_plain.go), on the window thread only.
	u32             user32
	classRegistered bool
	plain           map[uintptr]*plainWindow
	pending         map[*comResult]bool // views being made: kept alive until they come

	installed []string // the hooks connect made

	mu        sync.Mutex
	downloads map[*comObj]string  // operation -> the file claimed for it
	nextRoom  map[*comObj]int64   // operation -> when to ask DownloadRoom next
	scripts   map[*comResult]bool // running ExecuteScripts: kept alive until they answer
}

// WebView2 asks a page's beforeunload question itself when the page is
// navigated away, but not when the window closes: the app asks then.
var _ interface {
	Native
	WindowOpener
	PageGuard
	Checker
	Forgetter
} = (*win)(nil)

// Attach finds the Wails window's WebView2 and connects the hooks. Call it
// from OnStartup: the web view exists by then.
func Attach(ctx context.Context, h Hooks) (Native, error) {
	chromium, invoke, mainHWND, err := wailsWebView(ctx)
	if err != nil {
		return nil, err
	}
	n := &win{hooks: h, chromium: chromium, invoke: invoke, mainHWND: mainHWND,
		downloads: map[*comObj]string{}, nextRoom: map[*comObj]int64{}, scripts: map[*comResult]bool{},
		u32: newUser32(), plain: map[uintptr]*plainWindow{}, pending: map[*comResult]bool{}}
	n.vtbl, n.resultVtbl = newVtbls()
	n.onNewWindow = n.handler(n.newWindow)
	n.onSource = n.handler(n.sourceChanged)
	n.onTitle = n.handler(n.titleChanged)
	n.onDown = n.handler(n.downloadStarting)
	n.onState = n.handler(n.downloadState)
	n.onBytes = n.handler(n.downloadBytes)
	n.onPlainNewWindow = n.handler(n.plainNewWindow)
	n.onPlainTitle = n.handler(n.plainTitle)
	done := make(chan error, 1)
	if !invoke(func() { done <- n.connect() }) {
		return nil, errors.New("attach to the web view: the window's thread did not take the call")
	}
	select {
	case err := <-done:
		if err != nil {
			return nil, err
		}
		return n, nil
	case <-time.After(5 * time.Second):
		return nil, errors.New("attach to the web view: the window's thread did not answer")
	}
}

// wailsWebView reads Wails' Windows frontend: its *edge.Chromium, its
// main window's Invoke and, where it says, that window's handle.
func wailsWebView(ctx context.Context) (_ *edge.Chromium, _ func(func()) bool, _ uintptr, err error) {
	defer func() { // a shape reflection did not expect: Wails' defaults, not a crash
		if r := recover(); r != nil {
			err = fmt.Errorf("attach to the web view: Wails' frontend is not as this app knows it: %v", r)
		}
	}()
	moved := errors.New("attach to the web view: this Wails version keeps it elsewhere")
	v := reflect.ValueOf(ctx.Value("frontend"))
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, nil, 0, fmt.Errorf("attach to the web view: Wails' frontend is a %v", v.Kind())
	}
	s := v.Elem()
	field := func(name string) reflect.Value {
		f := s.FieldByName(name)
		if !f.IsValid() {
			return f
		}
		return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
	}
	ch, win := field("chromium"), field("mainWindow")
	if !ch.IsValid() || !win.IsValid() || win.Kind() != reflect.Pointer || win.IsNil() {
		return nil, nil, 0, moved
	}
	chromium, ok := ch.Interface().(*edge.Chromium)
	inv := win.MethodByName("Invoke")
	if !ok || chromium == nil || !inv.IsValid() {
		return nil, nil, 0, moved
	}
	invoke, ok := inv.Interface().(func(func()) bool)
	if !ok {
		return nil, nil, 0, errors.New("attach to the web view: Wails' Invoke has changed")
	}
	var hwnd uintptr
	if h := win.MethodByName("Handle"); h.IsValid() && h.Type().NumIn() == 0 && h.Type().NumOut() == 1 && h.Type().Out(0).Kind() == reflect.Uintptr {
		hwnd = uintptr(h.Call(nil)[0].Uint())
	}
	return chromium, invoke, hwnd, nil
}

func (n *win) handler(f func(sender, args *comObj)) *comHandler {
	return &comHandler{vtbl: n.vtbl, invoke: f}
}

// connect registers the handlers (on the window's thread).
func (n *win) connect() error {
	ctrl := n.chromium.GetController()
	if ctrl == nil {
		return errors.New("attach to the web view: WebView2 has no controller yet")
	}
	wv, err := ctrl.GetCoreWebView2()
	if err != nil || wv == nil {
		return fmt.Errorf("attach to the web view: %v", err)
	}
	n.view = (*comObj)(unsafe.Pointer(wv)) // kept for the app's life
	for _, e := range []struct {
		name string
		slot int
		h    *comHandler
	}{{"new windows", wvAddNewWindowRequest, n.onNewWindow}, {"page loads", wvAddSourceChanged, n.onSource}, {"title", wvAddTitleChanged, n.onTitle}} {
		if _, ok := n.view.add(e.slot, e.h); !ok {
			return fmt.Errorf("attach to the web view: event slot %d refused", e.slot)
		}
		n.installed = append(n.installed, e.name)
	}
	// The launcher may have been committed before the handlers were there:
	// its address is what the app learns first.
	n.sourceChanged(n.view, nil)
	// Downloads need WebView2 runtime 1.0.902 or later; without it they
	// keep WebView2's own download bar.
	var v4 *comObj
	if n.view.call(0, uintptr(unsafe.Pointer(&iidWebView2_4)), uintptr(unsafe.Pointer(&v4))) == 0 && v4 != nil {
		if _, ok := v4.add(wv4AddDownloadStarting, n.onDown); !ok {
			v4.release()
		} else { // kept, as the view is
			n.installed = append(n.installed, "downloads")
		}

	}
	return nil
}

// newWindow: WebView2 opens nothing; the app decides where the page goes.
func (n *win) newWindow(_, args *comObj) {
	args.putBool(nwPutHandled, true)
	if f := n.hooks.NewWindow; f != nil {
		f(NewWindowRequest{URL: args.str(nwGetURI), UserGesture: args.num(nwGetUserInitiated) == 1, FromMain: true})
	}
}

// sourceChanged follows the main view's address; the right-click menu is
// there on session pages only.
func (n *win) sourceChanged(sender, args *comObj) {
	uri := sender.str(wvGetSource)
	if uri == "" || (args == nil && uri == "about:blank") {
		return // nothing committed yet; later, about:blank is the app's way back to the launcher
	}
	if f := n.hooks.PageChanged; f != nil {
		f(uri)
	}
	if f := n.hooks.ContextMenu; f != nil {
		if s, err := n.chromium.GetSettings(); err == nil {
			_ = s.PutAreDefaultContextMenusEnabled(f(uri))
		}
	}
}

func (n *win) titleChanged(sender, _ *comObj) {
	if f := n.hooks.TitleChanged; f != nil {
		f(true, sender.str(wvGetDocumentTitle))
	}
}

// downloadStarting puts the file where the app says, hides WebView2's
// download bar, and follows the download to its end.
func (n *win) downloadStarting(_, args *comObj) {
	suggested := args.str(dsGetResultFilePath)
	to := ""
	if f := n.hooks.DownloadTo; f != nil {
		to = f(filepath.Base(suggested))
	}
	if to == "" || !args.putStr(dsPutResultFilePath, to) {
		return // WebView2's own handling: its bar and its folder
	}
	args.putBool(dsPutHandled, true)
	op := args.obj(dsGetOperation)
	if op == nil {
		return
	}
	n.mu.Lock()
	n.downloads[op] = to
	n.mu.Unlock()
	if _, ok := op.add(doAddStateChanged, n.onState); !ok {
		n.finish(op, "WebView2 would not report the download's progress")
		return
	}
	_, _ = op.add(doAddBytesReceivedChanged, n.onBytes) // without it, no room check
}

// roomStep is how often (in bytes received) DownloadRoom is asked.
const roomStep = 16 << 20

// downloadBytes asks the app, now and then, whether the disk has room for
// the rest; if not, the download is cancelled (and reported by its state).
func (n *win) downloadBytes(op, _ *comObj) {
	got := op.num64(doGetBytesReceived)
	n.mu.Lock()
	file, ok := n.downloads[op]
	due := ok && got >= n.nextRoom[op]
	if due {
		n.nextRoom[op] = got + roomStep
	}
	n.mu.Unlock()
	f := n.hooks.DownloadRoom
	if !due || f == nil || got < 0 {
		return
	}
	if total := op.num64(doGetTotalBytesToReceive); !f(file, uint64(got), uint64(max(total, 0))) {
		op.call(doCancel)
	}
}

func (n *win) downloadState(op, _ *comObj) {
	switch op.num(doGetState) {
	case downloadCompleted:
		n.finish(op, "")
	case downloadInterrupted:
		n.finish(op, interruptReason(op.num(doGetInterruptReason)))
	}
}

// finish reports a download's end once and lets go of the operation.
func (n *win) finish(op *comObj, errText string) {
	n.mu.Lock()
	claimed, ok := n.downloads[op]
	delete(n.downloads, op)
	delete(n.nextRoom, op)
	n.mu.Unlock()
	if !ok {
		return
	}
	d := Download{URL: op.str(doGetURI), File: op.str(doGetResultFilePath), Err: errText}
	op.release()
	if d.File == "" {
		d.File = claimed
	}
	if d.File != claimed {
		d.Claimed = claimed // WebView2 chose another name: the app frees ours
	}
	if f := n.hooks.Download; f != nil {
		f(d)
	}
}

func (n *win) Load(uri string) {
	n.invoke(func() { n.chromium.Navigate(uri) })
}

func (n *win) SetZoom(level float64) {
	n.invoke(func() { n.chromium.PutZoomFactor(level) })
}

func (n *win) Unsaved(report func(unsaved bool)) {
	r := &comResult{vtbl: n.resultVtbl}
	r.done = func(hr uintptr, json unsafe.Pointer) {
		n.mu.Lock()
		delete(n.scripts, r)
		n.mu.Unlock()
		go report(hr == 0 && json != nil && windows.UTF16PtrToString((*uint16)(json)) == "true")
	}
	n.mu.Lock()
	n.scripts[r] = true
	n.mu.Unlock()
	n.invoke(func() {
		js, err := windows.UTF16PtrFromString(UnsavedScript)
		if err != nil || n.view.call(wvExecuteScript, uintptr(unsafe.Pointer(js)), uintptr(unsafe.Pointer(r))) != 0 {
			r.done(1, nil)
		}
	})
}

// Forget: go-webview2 wraps only WebView2's cookie manager calls whose
// signatures it has right, and DeleteAllCookies is the one of those that
// forgets a sign-in. So every server's cookies go (AllSites says so).
func (n *win) Forget(_ string, done func([]string, error)) {
	if !n.invoke(func() {
		cm, err := n.chromium.GetCookieManager()
		if err == nil {
			err = cm.DeleteAllCookies()
			cm.Release()
		}
		go done([]string{AllSites}, err)
	}) {
		go done(nil, errors.New("the window's thread did not run the call"))
	}
}

func (n *win) Release() {
	n.invoke(func() { n.chromium.Eval(ReleaseScript) })
}

func (n *win) Installed() []string {
	done := make(chan []string, 1)
	if !n.invoke(func() { done <- slices.Clone(n.installed) }) {
		return nil
	}
	return <-done
}

// Snapshot asks WebView2 for a PNG of the page (CapturePreview) into a
// stream on the file.
func (n *win) Snapshot(path string) error {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return fmt.Errorf("snapshot of the window to %s: %w", path, err)
	}
	done := make(chan bool, 1)
	r := &comResult{vtbl: n.resultVtbl}
	var stream *comObj
	r.done = func(hr uintptr, _ unsafe.Pointer) {
		stream.release() // the file is complete once the stream is let go
		n.mu.Lock()
		delete(n.scripts, r)
		n.mu.Unlock()
		done <- hr == 0
	}
	n.mu.Lock()
	n.scripts[r] = true // kept alive until WebView2 answers
	n.mu.Unlock()
	create := windows.NewLazySystemDLL("shlwapi.dll").NewProc("SHCreateStreamOnFileEx")
	n.invoke(func() {
		const stgmCreateWrite, normal, png = 0x1000 | 0x1, 0x80, 0 // STGM_CREATE|STGM_WRITE, FILE_ATTRIBUTE_NORMAL, ..._FORMAT_PNG
		if hr, _, _ := create.Call(uintptr(unsafe.Pointer(p)), stgmCreateWrite, normal, 1, 0, uintptr(unsafe.Pointer(&stream))); hr != 0 || stream == nil {
			done <- false
			return
		}
		if n.view.call(wvCapturePreview, png, uintptr(unsafe.Pointer(stream)), uintptr(unsafe.Pointer(r))) != 0 {
			r.done(1, nil)
		}
	})
	return awaitSnapshot(done, path)
}
