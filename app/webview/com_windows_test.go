//go:build windows

package webview

import (
	"bytes"
	"log/slog"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/wailsapp/go-webview2/pkg/edge"
)

// The slots we call by number sit where go-webview2's vtables put the
// same methods (its layouts are WebView2.h's).
func TestSlotsMatchWebView2Layout(t *testing.T) {
	vtbl := reflect.TypeOf(edge.ICoreWebView2_3{}).Field(0).Type.Elem()
	slot := func(name string) int {
		f, ok := vtbl.FieldByName(name)
		if !ok {
			t.Fatalf("go-webview2's vtable has no %s", name)
		}
		return int(f.Offset / unsafe.Sizeof(uintptr(0)))
	}
	for name, want := range map[string]int{"GetSource": wvGetSource, "AddSourceChanged": wvAddSourceChanged,
		"AddNewWindowRequested": wvAddNewWindowRequest, "AddDocumentTitleChanged": wvAddTitleChanged,
		"GetDocumentTitle": wvGetDocumentTitle, "ExecuteScript": wvExecuteScript, "CapturePreview": wvCapturePreview, "Release": iunknownRelease} {
		if got := slot(name); got != want {
			t.Errorf("%s is slot %d, we call %d", name, got, want)
		}
	}
	// ICoreWebView2_4 starts where _3 ends: FrameCreated's add and remove,
	// then DownloadStarting's add.
	if end := int(vtbl.Size() / unsafe.Sizeof(uintptr(0))); wv4AddDownloadStarting != end+2 {
		t.Errorf("ICoreWebView2_3 ends at slot %d, so add_DownloadStarting is %d, not %d", end, end+2, wv4AddDownloadStarting)
	}
	ctrl := reflect.TypeOf(edge.ICoreWebView2Controller{}).Field(0).Type.Elem()
	if f, ok := ctrl.FieldByName("Close"); !ok || int(f.Offset/unsafe.Sizeof(uintptr(0))) != ctrlClose {
		t.Errorf("the controller's Close is not slot %d", ctrlClose)
	}
	env := reflect.TypeOf(edge.ICoreWebView2Environment{}).Field(0).Type.Elem()
	if f, ok := env.FieldByName("CreateCoreWebView2Controller"); !ok || int(f.Offset/unsafe.Sizeof(uintptr(0))) != envCreateController {
		t.Errorf("the environment's CreateCoreWebView2Controller is not slot %d", envCreateController)
	}
}

// A hook that panics inside WebView2's callback is logged, and the call
// returns to WebView2 as a handled one: the window goes on.
func TestFailingHookDoesNotEndTheApp(t *testing.T) {
	var log bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&log, nil)))
	defer slog.SetDefault(prev)
	handlers, _ := newVtbls()
	h := &comHandler{vtbl: handlers, invoke: func(_, _ *comObj) { panic("a field this Wails does not have") }}
	r, _, _ := syscall.SyscallN(handlers.invoke, uintptr(unsafe.Pointer(h)), 0, 0)
	if r != 0 || !strings.Contains(log.String(), "native web view hook failed") || !strings.Contains(log.String(), "a field this Wails does not have") {
		t.Errorf("returned %d, logged %q", r, log.String())
	}
}
