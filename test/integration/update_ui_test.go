package integration

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/neurodesk/neurodeskapp/internal/fakegithub"
)

// TestUIUpdatePromptRejectsUnverified: a newer release is offered at start
// with its notes; its checksums.txt is signed by a key the app does not
// trust, so "Update now" ends in a clear refusal and the app is unchanged.
func TestUIUpdatePromptRejectsUnverified(t *testing.T) {
	w := newWorld(t)
	w.writeSettings(strings.Replace(w.baseSettings(), "check_updates = false", "check_updates = true", 1))

	// Signed, but by a key the app does not trust.
	name := fmt.Sprintf("neurodeskapp_9.9.9_%s_%s.tar.gz", runtime.GOOS, runtime.GOARCH)
	gh := fakegithub.New("NeuroDesk/neurodesk-app", "v9.9.9", "Pulls twice as fast.", fakegithub.NewSigner().Sign([]fakegithub.Asset{
		{Name: name, Data: fakegithub.TarGz("neurodeskapp", []byte("not really an app"))}}))
	defer gh.Close()

	dev, _ := buildGUI(t)
	before, _ := os.ReadFile(dev)
	app := w.startGUI("NEURODESK_UPDATE_API=" + gh.APIBase())
	ctx := browser(t)
	err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS(`#update-dialog[open]`)))
	if err != nil {
		t.Fatalf("no update prompt: %v", err)
	}
	if title := textOf(ctx, "#update-title"); !strings.Contains(title, "9.9.9") {
		t.Errorf("prompt title %q", title)
	}
	if notes := textOf(ctx, "#update-notes"); notes != "Pulls twice as fast." {
		t.Errorf("notes %q", notes)
	}
	shoot(t, ctx, "update")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#update-now")), chromedp.WaitVisible(chromedp.CSS("#update-error"))); err != nil {
		t.Fatalf("no refusal shown: %v", err)
	}
	if msg := textOf(ctx, "#update-error"); !strings.Contains(msg, "did not verify") {
		t.Errorf("refusal %q", msg)
	}
	after, _ := os.ReadFile(dev)
	if !bytes.Equal(before, after) {
		t.Error("the app binary changed after a rejected update")
	}
	// Esc closes it for good: Go is told, so a reload does not bring it back.
	err = chromedp.Do(ctx, chromedp.KeyEvent(kb.Escape), chromedp.WaitNotPresent(chromedp.CSS(`#update-dialog[open]`)),
		chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#engine-dot.ok`)))
	if err != nil {
		t.Fatalf("Esc on the dialog: %v", err)
	}
	if open, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("#update-dialog").open`)); open {
		t.Error("the update dialog came back after Esc and a reload")
	}
}
