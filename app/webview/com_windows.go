//go:build windows

package webview

import (
	"fmt"
	"log/slog"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The few WebView2 COM methods go-webview2 does not wrap, called through
// their vtables. Slot numbers follow WebView2.h's declaration order (each
// interface extends the one before it); com_windows_test.go checks them
// against go-webview2's own vtable layouts where those exist.

// ICoreWebView2 (and _2, _3, _4, which extend it).
const (
	wvGetSource           = 4
	wvExecuteScript       = 29
	wvCapturePreview      = 30
	wvAddSourceChanged    = 11
	wvAddNewWindowRequest = 44
	wvAddTitleChanged     = 46
	wvGetDocumentTitle    = 48
	// ICoreWebView2_2 adds 7 methods after slot 60, _3 adds 5, and _4
	// adds add/remove FrameCreated, then add/remove DownloadStarting.
	wv4AddDownloadStarting = 61 + 7 + 5 + 2
)

// iidWebView2_4 is ICoreWebView2_4, the first with DownloadStarting.
var iidWebView2_4 = windows.GUID{Data1: 0x20d02d59, Data2: 0x6df2, Data3: 0x42dc, Data4: [8]byte{0xbd, 0x06, 0xf9, 0x8a, 0x69, 0x4b, 0x13, 0x02}}

// ICoreWebView2NewWindowRequestedEventArgs.
const (
	nwGetURI           = 3
	nwPutHandled       = 6
	nwGetUserInitiated = 8
)

// ICoreWebView2DownloadStartingEventArgs.
const (
	dsGetOperation      = 3
	dsGetResultFilePath = 6
	dsPutResultFilePath = 7
	dsPutHandled        = 9
)

// ICoreWebView2DownloadOperation and its states.
const (
	doAddBytesReceivedChanged = 3
	doAddStateChanged         = 7
	doGetURI                  = 9
	doGetTotalBytesToReceive  = 12
	doGetBytesReceived        = 13
	doGetResultFilePath       = 15
	doGetState                = 16
	doGetInterruptReason      = 17
	doCancel                  = 18

	downloadInterrupted = 1
	downloadCompleted   = 2
)

// IUnknown.
const iunknownRelease = 2

// comObj is a COM interface pointer: its first word is the vtable.
type comObj struct{ vtbl *[128]uintptr }

// call calls the method in slot with this object first. uintptrescapes
// keeps what the arguments point to alive and in place for the call.
//
//go:uintptrescapes
func (o *comObj) call(slot int, args ...uintptr) uintptr {
	r, _, _ := syscall.SyscallN(o.vtbl[slot], append([]uintptr{uintptr(unsafe.Pointer(o))}, args...)...)
	return r
}

func (o *comObj) release() { o.call(iunknownRelease) }

// str calls a getter that returns a string the caller must free.
func (o *comObj) str(slot int) string {
	var p *uint16
	if o.call(slot, uintptr(unsafe.Pointer(&p))) != 0 || p == nil {
		return ""
	}
	defer windows.CoTaskMemFree(unsafe.Pointer(p))
	return windows.UTF16PtrToString(p)
}

// obj calls a getter that returns an interface the caller must release.
func (o *comObj) obj(slot int) *comObj {
	var p *comObj
	if o.call(slot, uintptr(unsafe.Pointer(&p))) != 0 {
		return nil
	}
	return p
}

// num calls a getter of a BOOL or an enum.
func (o *comObj) num(slot int) int32 {
	var n int32
	if o.call(slot, uintptr(unsafe.Pointer(&n))) != 0 {
		return -1
	}
	return n
}

// num64 calls a getter of an INT64 (-1 if it fails).
func (o *comObj) num64(slot int) int64 {
	var n int64
	if o.call(slot, uintptr(unsafe.Pointer(&n))) != 0 {
		return -1
	}
	return n
}

func (o *comObj) putBool(slot int, v bool) {
	var b uintptr
	if v {
		b = 1
	}
	o.call(slot, b)
}

func (o *comObj) putStr(slot int, s string) bool {
	p, err := windows.UTF16PtrFromString(s)
	return err == nil && o.call(slot, uintptr(unsafe.Pointer(p))) == 0
}

// add registers h for an event and returns its token.
func (o *comObj) add(slot int, h *comHandler) (int64, bool) {
	var token int64
	return token, o.call(slot, uintptr(unsafe.Pointer(h)), uintptr(unsafe.Pointer(&token))) == 0
}

// comHandler is an event handler WebView2 calls: IUnknown and Invoke. It
// lives as long as the app (WebView2 keeps its address), so reference
// counting is not needed.
type comHandler struct {
	vtbl   *comHandlerVtbl
	invoke func(sender, args *comObj)
}

type comHandlerVtbl struct{ queryInterface, addRef, release, invoke uintptr }

// comResult is a completion handler WebView2 calls once with a result:
// ExecuteScript's (HRESULT, the result as JSON) or
// CreateCoreWebView2Controller's (HRESULT, the controller).
type comResult struct {
	vtbl *comHandlerVtbl
	done func(hr uintptr, result unsafe.Pointer)
}

// newVtbls makes the vtables every comHandler and every comResult share,
// once: Windows has a fixed number of callbacks per process.
func newVtbls() (handlers, results *comHandlerVtbl) {
	unknown := comHandlerVtbl{
		queryInterface: windows.NewCallback(func(this unsafe.Pointer, _ *windows.GUID, out *unsafe.Pointer) uintptr {
			*out = this
			return 0
		}),
		// They live as long as the app: no counting.
		addRef:  windows.NewCallback(func(unsafe.Pointer) uintptr { return 1 }),
		release: windows.NewCallback(func(unsafe.Pointer) uintptr { return 1 }),
	}
	handlers, results = new(comHandlerVtbl), new(comHandlerVtbl)
	*handlers, *results = unknown, unknown
	// A hook that fails is logged and leaves the event to WebView2: a panic
	// here would end the app from inside the window's message loop.
	handlers.invoke = windows.NewCallback(func(this *comHandler, sender, args *comObj) uintptr {
		safely("a web view event", func() { this.invoke(sender, args) })
		return 0
	})
	results.invoke = windows.NewCallback(func(this *comResult, hr uintptr, result unsafe.Pointer) uintptr {
		safely("a web view answer", func() { this.done(hr, result) })
		return 0
	})
	return handlers, results
}

// ICoreWebView2Environment and ICoreWebView2Controller.
const (
	envCreateController = 3
	ctrlClose           = 24
)

// safely runs a native hook's Go side: a failure is logged, never a crash
// of the window it came from.
func safely(what string, f func()) {
	defer func() {
		if r := recover(); r != nil {
			slog.Error("native web view hook failed", "in", what, "error", fmt.Sprint(r))
		}
	}()
	f()
}
