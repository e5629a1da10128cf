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
		C.nd_connect_view(n.view, C.uintptr_t(n.handle), 1)
		C.nd_connect_downloads(C.uintptr_t(n.handle))
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

// onMain runs f on the GTK main thread, soon.
func onMain(f func()) { C.nd_run_on_main(C.uintptr_t(cgo.NewHandle(f))) }

// onMainWait runs f on the GTK main thread and waits for it.
func onMainWait(timeout time.Duration, f func()) error {
	done := make(chan struct{})
	onMain(func() { f(); close(done) })
	select {
	case <-done:
		return nil
	case <-time.After(timeout):
		return errors.New("the window's main loop did not answer")
	}
}

//export ndRunTask
func ndRunTask(task C.uintptr_t) {
	h := cgo.Handle(task)
	f := h.Value().(func())
	h.Delete()
	f()
}

func native(h C.uintptr_t) *linux { return cgo.Handle(h).Value().(*linux) }

//export ndNewWindow
func ndNewWindow(h C.uintptr_t, uri *C.char, gesture, fromMain C.int) {
	if f := native(h).hooks.NewWindow; f != nil {
		f(NewWindowRequest{URL: C.GoString(uri), UserGesture: gesture != 0, FromMain: fromMain != 0})
	}
}

//export ndCommitted
func ndCommitted(h C.uintptr_t, uri *C.char) {
	if f := native(h).hooks.PageChanged; f != nil {
		f(C.GoString(uri))
	}
}

//export ndTitle
func ndTitle(h C.uintptr_t, isMain C.int, title *C.char) {
	if f := native(h).hooks.TitleChanged; f != nil {
		f(isMain != 0, C.GoString(title))
	}
}

//export ndClose
func ndClose(h C.uintptr_t) {
	n := native(h)
	n.mu.Lock()
	then := n.leave
	n.leave = nil
	n.mu.Unlock()
	if then != nil {
		go then() // off the GUI thread: it may ask questions
	}
}

//export ndContextMenu
func ndContextMenu(h C.uintptr_t, uri *C.char) C.int {
	if f := native(h).hooks.ContextMenu; f != nil && !f(C.GoString(uri)) {
		return 0
	}
	return 1
}

//export ndDownloadTo
func ndDownloadTo(h C.uintptr_t, suggested *C.char) *C.char {
	f := native(h).hooks.DownloadTo
	if f == nil {
		return nil
	}
	p := f(C.GoString(suggested))
	if p == "" {
		return nil
	}
	return C.CString(p) // freed by the C side
}

//export ndDownloadEnd
func ndDownloadEnd(h C.uintptr_t, uri, file, errText *C.char) {
	if f := native(h).hooks.Download; f != nil {
		d := Download{URL: C.GoString(uri), File: C.GoString(file)}
		if errText != nil {
			d.Err = C.GoString(errText)
		}
		f(d)
	}
}

//export ndOpenFolder
func ndOpenFolder(h C.uintptr_t, folder *C.char) {
	if f := native(h).hooks.OpenFolder; f != nil {
		f(C.GoString(folder))
	}
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

func (n *linux) Notice(text, folder string) {
	onMain(func() {
		t, f := C.CString(text), C.CString(folder)
		defer C.free(unsafe.Pointer(t))
		defer C.free(unsafe.Pointer(f))
		C.nd_notice(n.view, t, f, C.uintptr_t(n.handle))
	})
}
