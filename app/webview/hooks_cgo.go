//go:build (linux || darwin) && (dev || production)

package webview

/*
#include <stdint.h>
#include <stdlib.h>

void nd_run_on_main(uintptr_t task);
*/
import "C"

import (
	"errors"
	"runtime/cgo"
	"strings"
	"time"
)

// What the Linux (GTK) and macOS (AppKit) sides share: running Go on the
// GUI thread, and the C side's reports, each handed to the app's Hooks.
// The handle the C side holds is the platform's native, which has hooks.

type hooked interface{ hookSet() Hooks }

func hooksOf(h C.uintptr_t) Hooks { return cgo.Handle(h).Value().(hooked).hookSet() }

// onMain runs f on the GUI thread (GTK's main loop, AppKit's main queue), soon.
func onMain(f func()) { C.nd_run_on_main(C.uintptr_t(cgo.NewHandle(f))) }

// onMainWait runs f on the GUI thread (GTK's main loop, AppKit's main queue) and waits for it.
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

// ndEvaluated ends a task that reports yes or no (a script's answer, a
// snapshot written), off the GUI thread.
//
//export ndEvaluated
func ndEvaluated(task C.uintptr_t, isTrue C.int) {
	h := cgo.Handle(task)
	report := h.Value().(func(bool))
	h.Delete()
	go report(isTrue != 0)
}

//export ndForgotten
func ndForgotten(task C.uintptr_t, domains, err *C.char) {
	h := cgo.Handle(task)
	done := h.Value().(func([]string, error))
	h.Delete()
	var sites []string
	if d := C.GoString(domains); d != "" {
		sites = strings.Split(d, "\n")
	}
	var e error
	if err != nil {
		e = errors.New(C.GoString(err))
	}
	go done(sites, e)
}

//export ndNewWindow
func ndNewWindow(h C.uintptr_t, uri *C.char, gesture, fromMain C.int) {
	if f := hooksOf(h).NewWindow; f != nil {
		f(NewWindowRequest{URL: C.GoString(uri), UserGesture: gesture != 0, FromMain: fromMain != 0})
	}
}

//export ndCommitted
func ndCommitted(h C.uintptr_t, uri *C.char) {
	if f := hooksOf(h).PageChanged; f != nil {
		f(C.GoString(uri))
	}
}

//export ndTitle
func ndTitle(h C.uintptr_t, isMain C.int, title *C.char) {
	if f := hooksOf(h).TitleChanged; f != nil {
		f(isMain != 0, C.GoString(title))
	}
}

//export ndContextMenu
func ndContextMenu(h C.uintptr_t, uri *C.char) C.int {
	if f := hooksOf(h).ContextMenu; f != nil && !f(C.GoString(uri)) {
		return 0
	}
	return 1
}

//export ndDownloadTo
func ndDownloadTo(h C.uintptr_t, suggested *C.char) *C.char {
	f := hooksOf(h).DownloadTo
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
	if f := hooksOf(h).Download; f != nil {
		d := Download{URL: C.GoString(uri), File: C.GoString(file)}
		if errText != nil {
			d.Err = C.GoString(errText)
		}
		f(d)
	}
}

//export ndOpenFolder
func ndOpenFolder(h C.uintptr_t, folder *C.char) {
	if f := hooksOf(h).OpenFolder; f != nil {
		f(C.GoString(folder))
	}
}
