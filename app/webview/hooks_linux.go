//go:build linux && (dev || production)

package webview

/*
#cgo !webkit2_41 pkg-config: gtk+-3.0 webkit2gtk-4.0
#cgo webkit2_41 pkg-config: gtk+-3.0 webkit2gtk-4.1
#include "hooks_linux.h"
*/
import "C"

import (
	"context"
	"errors"
	"runtime/cgo"
	"sync"
	"time"
	"unsafe"
)

// linux is the WebKitGTK side. Its GTK pointers are touched only on the
// GTK main thread (onMain); mu guards what Go goroutines share with it.
type linux struct {
	hooks  Hooks
	handle cgo.Handle
	view   *C.WebKitWebView
	window *C.GtkWindow

	installed []string // set by Attach

	mu    sync.Mutex
	leave func() // what the main view's "close" (its page agreed) runs
}

// WebKitGTK has every hook.
var _ interface {
	Native
	WindowOpener
	Leaver
	Asker
	Noticer
	Checker
	Forgetter
	CookieKeeper
} = (*linux)(nil)

// Attach finds the Wails window's web view and connects the hooks. Call it
// once the window exists (from OnStartup); it waits for the GTK main loop.
func Attach(_ context.Context, h Hooks) (Native, error) {
	n := &linux{hooks: h}
	n.handle = cgo.NewHandle(n)
	var found bool
	err := onMainWait(5*time.Second, func() {
		n.view = C.nd_find_main_view(&n.window)
		if n.view == nil {
			return
		}
		found = true
		got := C.nd_connect_view(n.view, C.uintptr_t(n.handle), 1)
		for i, name := range ndSignals {
			if got&(1<<i) != 0 {
				n.installed = append(n.installed, name)
			}
		}
		if C.nd_connect_downloads(C.uintptr_t(n.handle)) != 0 {
			n.installed = append(n.installed, "downloads")
		}
		// Wails loads the launcher while OnStartup (and so this) runs: its
		// commit may be past. The app learns the launcher's address from
		// the first page reported, so report what the view shows now.
		if uri := C.webkit_web_view_get_uri(n.view); uri != nil && h.PageChanged != nil {
			if s := C.GoString(uri); s != "" && s != "about:blank" {
				h.PageChanged(s)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if !found {
		n.handle.Delete()
		return nil, errors.New("attach to the web view: the app window has none")
	}
	return n, nil
}

// KeepCookies: WebKitGTK's cookies live in memory unless given a file.
func (n *linux) KeepCookies(file string) {
	onMain(func() {
		c := C.CString(file)
		defer C.free(unsafe.Pointer(c))
		C.nd_keep_cookies(n.view, c)
	})
}

func (n *linux) Forget(host string, done func([]string, error)) {
	onMain(func() {
		c := C.CString(host)
		defer C.free(unsafe.Pointer(c))
		C.nd_forget(n.view, c, C.uintptr_t(cgo.NewHandle(done)))
	})
}

func native(h C.uintptr_t) *linux { return cgo.Handle(h).Value().(*linux) }

func (n *linux) hookSet() Hooks { return n.hooks }

//export ndClose
func ndClose(h C.uintptr_t) {
	n := native(h)
	n.mu.Lock()
	then := n.leave
	n.leave = nil
	n.mu.Unlock()
	if then == nil {
		return
	}
	// The person chose to leave: the page's beforeunload handlers are
	// stopped first, so the navigation that follows does not ask again.
	c := C.CString(ReleaseScript)
	defer C.free(unsafe.Pointer(c))
	task := cgo.NewHandle(func() { go then() }) // off the GUI thread: it may ask questions
	C.nd_eval_then(n.view, c, C.uintptr_t(task))
}

//export ndMayNavigate
func ndMayNavigate(h C.uintptr_t, to, from *C.char) C.int {
	if f := native(h).hooks.MayNavigate; f != nil && !f(C.GoString(to), C.GoString(from)) {
		return 0
	}
	return 1
}

//export ndDownloadRoom
func ndDownloadRoom(h C.uintptr_t, file *C.char, received, expected C.uint64_t) C.int {
	if f := native(h).hooks.DownloadRoom; f != nil && !f(C.GoString(file), uint64(received), uint64(expected)) {
		return 0
	}
	return 1
}

func (n *linux) Load(uri string) {
	onMain(func() {
		c := C.CString(uri)
		defer C.free(unsafe.Pointer(c))
		C.webkit_web_view_load_uri(n.view, c)
	})
}

func (n *linux) OpenWindow(uri string) {
	onMain(func() {
		c := C.CString(uri)
		defer C.free(unsafe.Pointer(c))
		C.nd_open_window(n.view, n.window, c, C.uintptr_t(n.handle))
	})
}

func (n *linux) SetZoom(level float64) {
	onMain(func() { C.webkit_web_view_set_zoom_level(n.view, C.gdouble(level)) })
}

// Leave asks the page through WebKit's own close protocol: the page's
// beforeunload runs (WebKit shows its question if the page has unsaved
// work), and "close" comes only if the page may go.
func (n *linux) Leave(then func()) {
	n.mu.Lock()
	n.leave = then
	n.mu.Unlock()
	onMain(func() { C.webkit_web_view_try_close(n.view) })
}

func (n *linux) Ask(q Question) (Answer, error) {
	if len(q.Buttons) == 0 {
		return Answer{}, errors.New("ask: a question needs buttons")
	}
	var a Answer
	done := make(chan struct{})
	onMain(func() {
		defer close(done)
		title, msg, detail, remember := C.CString(q.Title), C.CString(q.Message), C.CString(q.Detail), C.CString(q.Remember)
		defer func() {
			for _, p := range []*C.char{title, msg, detail, remember} {
				C.free(unsafe.Pointer(p))
			}
		}()
		buttons := C.malloc(C.size_t(len(q.Buttons)) * C.size_t(unsafe.Sizeof(uintptr(0))))
		defer C.free(buttons)
		list := unsafe.Slice((**C.char)(buttons), len(q.Buttons))
		for i, b := range q.Buttons {
			list[i] = C.CString(b)
			defer C.free(unsafe.Pointer(list[i]))
		}
		var remembered C.int
		r := C.nd_ask(n.window, title, msg, detail, (**C.char)(buttons), C.int(len(q.Buttons)), C.int(q.Default), C.int(q.Cancel), remember, &remembered)
		a = Answer{Button: int(r), Remember: remembered != 0}
	})
	<-done // a person is answering: no timeout
	return a, nil
}

func (n *linux) Notice(no Notice) {
	onMain(func() {
		k, t, f := C.CString(no.Key), C.CString(no.Text), C.CString(no.Folder)
		defer C.free(unsafe.Pointer(k))
		defer C.free(unsafe.Pointer(t))
		defer C.free(unsafe.Pointer(f))
		stays := C.int(0)
		if no.Stays {
			stays = 1
		}
		C.nd_notice(n.view, k, t, f, stays, C.uintptr_t(n.handle))
	})
}

// ndSignals are the main view's hooks, in nd_connect_view's bit order.
var ndSignals = []string{"new windows", "navigation policy", "title", "closing", "context menu", "page loads"}

func (n *linux) Installed() []string { return n.installed }

func (n *linux) Snapshot(path string) error {
	done := make(chan bool, 1)
	task := cgo.NewHandle(func(ok bool) { done <- ok })
	onMain(func() {
		c := C.CString(path)
		defer C.free(unsafe.Pointer(c))
		C.nd_snapshot(n.view, c, C.uintptr_t(task))
	})
	return awaitSnapshot(done, path)
}
