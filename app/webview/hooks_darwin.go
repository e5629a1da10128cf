//go:build darwin && (dev || production)

package webview

/*
#cgo CFLAGS: -x objective-c
#cgo LDFLAGS: -framework Foundation -framework Cocoa -framework WebKit
#include "hooks_darwin.h"
*/
import "C"

import (
	"context"
	"errors"
	"runtime/cgo"
	"time"
	"unsafe"
)

// mac is the WKWebView side. Wails' WailsContext is the web view's
// navigation and UI delegate; Attach puts an object of ours in between
// (hooks_darwin.m) that answers what Wails leaves unanswered and hands
// every other delegate message to Wails. view is touched on the main
// thread only.
type mac struct {
	hooks  Hooks
	handle cgo.Handle
	view   unsafe.Pointer // WKWebView *
}

// WKWebView has no public way to ask a page to close (beforeunload) or to
// show our own dialogs: the app asks the page through scripts (PageGuard),
// and questions fall back to Wails. Its website data store keeps cookies
// on disk by itself (no CookieKeeper); a server's Basic auth is answered
// from a native dialog (hooks_darwin.m).
var _ interface {
	Native
	WindowOpener
	PageGuard
	Checker
	Forgetter
} = (*mac)(nil)

// Attach finds the Wails window's web view and puts the hooks in front of
// its delegates. Call it from OnStartup; it waits for the main thread.
func Attach(_ context.Context, h Hooks) (Native, error) {
	n := &mac{hooks: h}
	n.handle = cgo.NewHandle(n)
	var view unsafe.Pointer
	if err := onMainWait(5*time.Second, func() { view = C.nd_mac_attach(C.uintptr_t(n.handle)) }); err != nil {
		return nil, err
	}
	if view == nil {
		n.handle.Delete()
		return nil, errors.New("attach to the web view: no WKWebView with Wails' delegate in the app's windows")
	}
	n.view = view
	return n, nil
}

func (n *mac) hookSet() Hooks { return n.hooks }

func (n *mac) Load(uri string) {
	onMain(func() {
		c := C.CString(uri)
		defer C.free(unsafe.Pointer(c))
		C.nd_mac_load(n.view, c)
	})
}

func (n *mac) SetZoom(level float64) {
	onMain(func() { C.nd_mac_zoom(n.view, C.double(level)) })
}

func (n *mac) OpenWindow(uri string) {
	onMain(func() {
		c := C.CString(uri)
		defer C.free(unsafe.Pointer(c))
		C.nd_mac_open_window(n.view, c, C.uintptr_t(n.handle))
	})
}

func (n *mac) Unsaved(report func(unsaved bool)) {
	task := cgo.NewHandle(report)
	onMain(func() {
		c := C.CString(UnsavedScript)
		defer C.free(unsafe.Pointer(c))
		C.nd_mac_eval(n.view, c, C.uintptr_t(task))
	})
}

func (n *mac) Release() {
	onMain(func() {
		c := C.CString(ReleaseScript)
		defer C.free(unsafe.Pointer(c))
		C.nd_mac_eval(n.view, c, 0)
	})
}

// Installed: nd_mac_attach stands in front of Wails' delegates whole, or
// not at all (Attach then fails).
func (n *mac) Forget(host string, done func([]string, error)) {
	task := cgo.NewHandle(done)
	onMain(func() {
		c := C.CString(host)
		defer C.free(unsafe.Pointer(c))
		C.nd_mac_forget(n.view, c, C.uintptr_t(task))
	})
}

func (n *mac) Installed() []string {
	return []string{"navigation delegate", "UI delegate", "title"}
}

func (n *mac) Snapshot(path string) error {
	done := make(chan bool, 1)
	task := cgo.NewHandle(func(ok bool) { done <- ok })
	onMain(func() {
		c := C.CString(path)
		defer C.free(unsafe.Pointer(c))
		C.nd_mac_snapshot(n.view, c, C.uintptr_t(task))
	})
	return awaitSnapshot(done, path)
}
