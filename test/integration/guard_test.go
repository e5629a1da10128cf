package integration

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/neurodesk/neurodeskapp/app/webview"
)

// TestPageGuardScripts: where the web view cannot ask a page itself
// (WKWebView; WebView2 when the window closes), the app runs
// webview.UnsavedScript in the page, and webview.ReleaseScript once the
// person chose to leave. Against the real Jupyter's page in Chromium (the
// engine of WebView2; WKWebView runs the same scripts): a
// clean page has no unsaved work; a page whose beforeunload cancels (the
// classic Notebook's way) or sets returnValue (JupyterLab's way) has; the
// check itself neither leaves the page nor shows a question; and once
// released, leaving asks nothing (WebView2 would ask again otherwise).
func TestPageGuardScripts(t *testing.T) {
	iw := newInsideWorld(t)
	r := iw.run("start", "--json", "--no-open")
	if r.code != 0 {
		t.Fatalf("start: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	url, _ := r.last()["url"].(string)
	ctx := browser(t)
	var dialogs atomic.Int32
	err := chromedp.Listen(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			dialogs.Add(1)
			go chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error { //nolint:errcheck // stay: the test fails on it anyway
				_, err := cdp.Call(ctx, t, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
				return err
			}))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#dirty"))); err != nil {
		t.Fatal(err)
	}
	unsaved := func() bool {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[bool](webview.UnsavedScript))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if unsaved() {
		t.Error("a clean page reports unsaved work")
	}
	// The classic Notebook's way: the handler cancels and returns a message.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#dirty"))); err != nil {
		t.Fatal(err)
	}
	if !unsaved() {
		t.Error("a page whose beforeunload cancels reports no unsaved work")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#dirty"))); err != nil {
		t.Fatal(err)
	}
	if unsaved() {
		t.Error("unsaved work reported after the page cleared its handler")
	}
	// JupyterLab's way: a listener that only sets returnValue.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`addEventListener("beforeunload", (e) => { e.returnValue = "unsaved"; }); true`)); err != nil {
		t.Fatal(err)
	}
	if !unsaved() {
		t.Error("a page whose beforeunload sets returnValue reports no unsaved work")
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if !strings.Contains(loc, "/lab") || dialogs.Load() != 0 {
		t.Fatalf("the check left the page or asked: at %s, %d questions", loc, dialogs.Load())
	}
	// Released, the page lets the person go without asking, whichever way
	// its handlers object.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`addEventListener("beforeunload", (e) => e.preventDefault()); true`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#dirty"))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](webview.ReleaseScript)); err != nil {
		t.Fatal(err)
	}
	if unsaved() {
		t.Error("released, the page still reports unsaved work")
	}
	err = chromedp.Do(ctx, chromedp.Navigate(strings.SplitN(url, "/lab", 2)[0]+"/api/status"))
	time.Sleep(500 * time.Millisecond)
	loc, _ = chromedp.Run(ctx, chromedp.Location())
	if dialogs.Load() != 0 || !strings.Contains(loc, "/api/status") {
		t.Errorf("after release, leaving asked %d times and went to %s (%v)", dialogs.Load(), loc, err)
	}
}
