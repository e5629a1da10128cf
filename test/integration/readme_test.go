package integration

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestREADMEScreenshots: the launcher as a researcher sees it on their own
// computer: the data folder ~/neurodesktop-storage, the current version as
// the manifest names it, the default image repository (the image is
// reached through the mirror, as when Docker Hub is out of reach). It
// writes readme-*.png, which `make screenshots` copies to docs/screenshots,
// and checks that nothing of the test shows.
func TestREADMEScreenshots(t *testing.T) {
	w := newWorld(t)
	w.tag = "2026-11-30"
	w.s.registry.Put("vnmd/neurodesktop", w.tag, w.s.good)
	w.data = w.home + "/neurodesktop-storage"
	// docker.io is not reachable here: the first pull fails at once and the
	// mirror, as in the defaults, is the test registry.
	w.writeSettings("data_folder = \"" + w.data + "\"\nmirror_repository = \"" + w.repo + "\"\ncheck_updates = false\n")
	w.s.registry.Throttle(3 << 20)
	defer w.s.registry.Throttle(0)
	app := w.startGUI()
	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS(`#engine-dot.ok`)),
		chromedp.Sleep(time.Second)); err != nil {
		t.Fatal(err)
	}
	for sel, want := range map[string]string{"#data-folder": "~/neurodesktop-storage", "#version": "2026-11-30"} {
		if got := textOf(ctx, sel); !strings.Contains(got, want) {
			t.Errorf("%s shows %q, want %q", sel, got, want)
		}
	}
	noTestArtefacts(t, ctx, "launcher")
	shoot(t, ctx, "readme-launcher")

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#open-settings")), chromedp.WaitVisible(chromedp.CSS("#settings-form"))); err != nil {
		t.Fatal(err)
	}
	if v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("s-data_folder").value + " " + document.getElementById("s-image_repository").value`)); v != "~/neurodesktop-storage docker.io/vnmd/neurodesktop" {
		t.Errorf("settings show %q", v)
	}
	shoot(t, ctx, "readme-settings")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#settings-cancel")), chromedp.WaitVisible(chromedp.CSS("#launcher")),
		chromedp.Click(chromedp.CSS("#start")), chromedp.WaitVisible(chromedp.CSS(`#progress-bar[aria-valuenow]`))); err != nil {
		t.Fatalf("start: %v", err)
	}
	// The image being pulled is named as it is: here the test registry,
	// for a person docker.io's or the mirror's.
	noTestArtefacts(t, ctx, "progress", "127.0.0.1:")
	shoot(t, ctx, "readme-progress")
	deadline := time.Now().Add(2 * time.Minute)
	for loc := ""; !strings.Contains(loc, "/lab?token="); loc, _ = chromedp.Run(ctx, chromedp.Location()) {
		if time.Now().After(deadline) {
			t.Fatalf("JupyterLab did not come: %s", loc)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS("#running"))); err != nil {
		t.Fatal(err)
	}
	noTestArtefacts(t, ctx, "running")
	shoot(t, ctx, "readme-running")
}

// noTestArtefacts fails when the page shows the test's own traces: its
// temporary folders, the registry on loopback, a test's version tag.
func noTestArtefacts(t *testing.T, ctx context.Context, screen string, except ...string) {
	t.Helper()
	body := textOf(ctx, "main")
	for _, bad := range []string{"/tmp/", "127.0.0.1:", "-it", "Test"} {
		if strings.Contains(body, bad) && !slices.Contains(except, bad) {
			t.Errorf("the %s screen shows %q:\n%s", screen, bad, body)
		}
	}
}
