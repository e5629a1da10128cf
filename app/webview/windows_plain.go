//go:build windows && (dev || production)

package webview

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/wailsapp/go-webview2/pkg/edge"
	"golang.org/x/sys/windows"
)

// Plain windows on Windows: a page of the session in a top-level window of
// its own, hosting a WebView2 made from the main view's environment (the
// same profile, so the session's cookie) with no web message handler, so
// nothing in it reaches the app. All of it runs on the window thread.

type plainWindow struct {
	hwnd uintptr
	ctrl *edge.ICoreWebView2Controller
	view *comObj
}

// wndClassEx is Win32's WNDCLASSEXW.
type wndClassEx struct {
	size, style                        uint32
	wndProc                            uintptr
	clsExtra, wndExtra                 int32
	instance, icon, cursor, background uintptr
	menuName, className                *uint16
	iconSm                             uintptr
}

type rect struct{ left, top, right, bottom int32 }

const (
	wmDestroy          = 0x0002
	wmSize             = 0x0005
	wsOverlappedWindow = 0x00CF0000
	cwUseDefault       = 0x80000000
	swShow             = 5
	idcArrow           = 32512
	gclpHIcon          = ^uintptr(13) // -14
)

// user32 is the few window functions plain windows need.
type user32 struct {
	registerClass, createWindow, defWindowProc, destroyWindow, showWindow *windows.LazyProc
	getClientRect, setWindowText, loadCursor, getClassLongPtr             *windows.LazyProc
	getModuleHandle                                                       *windows.LazyProc
}

func newUser32() user32 {
	u, k := windows.NewLazySystemDLL("user32.dll"), windows.NewLazySystemDLL("kernel32.dll")
	return user32{registerClass: u.NewProc("RegisterClassExW"), createWindow: u.NewProc("CreateWindowExW"),
		defWindowProc: u.NewProc("DefWindowProcW"), destroyWindow: u.NewProc("DestroyWindow"), showWindow: u.NewProc("ShowWindow"),
		getClientRect: u.NewProc("GetClientRect"), setWindowText: u.NewProc("SetWindowTextW"), loadCursor: u.NewProc("LoadCursorW"),
		getClassLongPtr: u.NewProc("GetClassLongPtrW"), getModuleHandle: k.NewProc("GetModuleHandleW")}
}

// OpenWindow shows uri in a plain window; where one cannot be made, the
// main view goes there instead (WebView2 asks the page first).
func (n *win) OpenWindow(uri string) {
	n.invoke(func() {
		if err := n.openWindow(uri); err != nil {
			n.chromium.Navigate(uri)
		}
	})
}

func (n *win) openWindow(uri string) error {
	class, _ := windows.UTF16PtrFromString("NeurodeskPage")
	if !n.classRegistered {
		inst, _, _ := n.u32.getModuleHandle.Call(0)
		cursor, _, _ := n.u32.loadCursor.Call(0, idcArrow)
		icon := uintptr(0)
		if n.mainHWND != 0 {
			icon, _, _ = n.u32.getClassLongPtr.Call(n.mainHWND, gclpHIcon)
		}
		wc := wndClassEx{wndProc: windows.NewCallback(n.wndProc), instance: inst, icon: icon, iconSm: icon, cursor: cursor, className: class}
		wc.size = uint32(unsafe.Sizeof(wc))
		if atom, _, err := n.u32.registerClass.Call(uintptr(unsafe.Pointer(&wc))); atom == 0 {
			return fmt.Errorf("register the page window class: %w", err)
		}
		n.classRegistered = true
	}
	title, _ := windows.UTF16PtrFromString("Neurodesk")
	hwnd, _, err := n.u32.createWindow.Call(0, uintptr(unsafe.Pointer(class)), uintptr(unsafe.Pointer(title)), wsOverlappedWindow,
		cwUseDefault, cwUseDefault, 1200, 800, 0, 0, 0, 0)
	if hwnd == 0 {
		return fmt.Errorf("create a page window: %w", err)
	}
	pw := &plainWindow{hwnd: hwnd}
	n.plain[hwnd] = pw
	n.u32.showWindow.Call(hwnd, swShow)
	env := n.chromium.Environment()
	if env == nil {
		n.u32.destroyWindow.Call(hwnd)
		return errors.New("create a page window: WebView2 has no environment")
	}
	r := &comResult{vtbl: n.resultVtbl}
	r.done = func(hr uintptr, created unsafe.Pointer) {
		delete(n.pending, r)
		if n.plain[hwnd] != pw { // closed before its view came
			if created != nil {
				(*comObj)(created).call(ctrlClose)
			}
			return
		}
		if hr != 0 || created == nil {
			n.u32.destroyWindow.Call(hwnd)
			n.chromium.Navigate(uri)
			return
		}
		n.fillWindow(pw, (*edge.ICoreWebView2Controller)(created), uri)
	}
	n.pending[r] = true
	if (*comObj)(unsafe.Pointer(env)).call(envCreateController, hwnd, uintptr(unsafe.Pointer(r))) != 0 {
		delete(n.pending, r)
		n.u32.destroyWindow.Call(hwnd)
		return errors.New("create a page window: WebView2 refused a second view")
	}
	return nil
}

// fillWindow puts the new view in its window and loads the page.
func (n *win) fillWindow(pw *plainWindow, ctrl *edge.ICoreWebView2Controller, uri string) {
	ctrl.AddRef()
	pw.ctrl = ctrl
	n.fit(pw)
	wv, err := ctrl.GetCoreWebView2()
	if err != nil || wv == nil {
		return
	}
	pw.view = (*comObj)(unsafe.Pointer(wv))
	pw.view.add(wvAddNewWindowRequest, n.onPlainNewWindow)
	pw.view.add(wvAddTitleChanged, n.onPlainTitle)
	var v4 *comObj
	if pw.view.call(0, uintptr(unsafe.Pointer(&iidWebView2_4)), uintptr(unsafe.Pointer(&v4))) == 0 && v4 != nil {
		v4.add(wv4AddDownloadStarting, n.onDown)
		v4.release() // the view holds the registration
	}
	_ = wv.Navigate(uri)
	_ = ctrl.MoveFocus(edge.COREWEBVIEW2_MOVE_FOCUS_REASON_PROGRAMMATIC)
}

// fit makes the view fill its window.
func (n *win) fit(pw *plainWindow) {
	var r rect
	n.u32.getClientRect.Call(pw.hwnd, uintptr(unsafe.Pointer(&r)))
	if b, err := pw.ctrl.GetBounds(); err == nil {
		b.Left, b.Top, b.Right, b.Bottom = r.left, r.top, r.right, r.bottom
		_ = pw.ctrl.PutBounds(*b)
	}
}

func (n *win) wndProc(hwnd, msg, wparam, lparam uintptr) uintptr {
	switch pw := n.plain[hwnd]; {
	case pw != nil && msg == wmSize && pw.ctrl != nil:
		n.fit(pw)
	case pw != nil && msg == wmDestroy:
		delete(n.plain, hwnd)
		if pw.ctrl != nil {
			(*comObj)(unsafe.Pointer(pw.ctrl)).call(ctrlClose)
			pw.ctrl.Release()
		}
	}
	r, _, _ := n.u32.defWindowProc.Call(hwnd, msg, wparam, lparam)
	return r
}

// plainTitle names a plain window after its page.
func (n *win) plainTitle(sender, _ *comObj) {
	for _, pw := range n.plain {
		if pw.view == sender {
			t := sender.str(wvGetDocumentTitle)
			if t == "" {
				t = "Neurodesk"
			} else {
				t += " — Neurodesk"
			}
			p, _ := windows.UTF16PtrFromString(t)
			n.u32.setWindowText.Call(pw.hwnd, uintptr(unsafe.Pointer(p)))
		}
	}
}

// plainNewWindow is a plain window's page asking for a new window.
func (n *win) plainNewWindow(_, args *comObj) {
	args.putBool(nwPutHandled, true)
	if f := n.hooks.NewWindow; f != nil {
		f(NewWindowRequest{URL: args.str(nwGetURI), UserGesture: args.num(nwGetUserInitiated) == 1})
	}
}
