package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/docker/docker/api/types/image"

	"github.com/neurodesk/neurodeskapp/internal/fakegithub"
	"github.com/neurodesk/neurodeskapp/internal/testimage"
)

// TestREADMEScreenshots: the launcher as a researcher sees it on their own
// computer: the data folder ~/neurodesktop-storage, the current version as
// the manifest names it, the default image repositories, the image as big
// as Neurodesktop's and reached through the mirror under its own name
// (ghcr.io), as when Docker Hub is out of reach. It writes readme-*.png,
// which `make screenshots` copies to docs/screenshots, and checks that
// nothing of the test shows, in the page and in the pictures' own text.
func TestREADMEScreenshots(t *testing.T) {
	w := newWorld(t)
	w.tag = "2026-11-30"
	reg, ca := namedRegistry(t, "ghcr.io")
	// The image this test pulls under the real name is a test's own (its
	// label says so): removed before and after (the name only, even while
	// the session's container holds the image).
	named := "ghcr.io/neurodesk/neurodesktop:" + w.tag
	removeOurs := func() {
		in, err := w.docker.ImageInspect(context.Background(), named)
		if err != nil {
			return
		}
		if in.Config == nil || in.Config.Labels[testimage.TestLabel] != "true" {
			t.Fatalf("%s is on this engine and is not a test's: remove it to run this test", named)
		}
		if _, err := w.docker.ImageRemove(context.Background(), named, image.RemoveOptions{Force: true}); err != nil {
			t.Errorf("remove the test's %s: %v", named, err)
		}
	}
	removeOurs()
	t.Cleanup(removeOurs)
	// Five layers, about 4.2 GB, as Neurodesktop's: made as they are read.
	reg.PutHuge("neurodesk/neurodesktop", w.tag, []int64{1_930_000_000, 1_210_000_000, 640_000_000, 318_000_000, 86_000_000})
	reg.Throttle(30 << 20)
	w.data = w.home + "/neurodesktop-storage"
	// The defaults: docker.io is not reachable here, so the pull goes to
	// the mirror, ghcr.io.
	w.writeSettings("data_folder = \"" + w.data + "\"\ncheck_updates = false\n")
	app := w.startGUI("SSL_CERT_FILE=" + ca)
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
	noTracesInPicture(t, "readme-launcher-light-1280x800", "Neurodesktop")

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#open-settings")), chromedp.WaitVisible(chromedp.CSS("#settings-form"))); err != nil {
		t.Fatal(err)
	}
	if v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("s-data_folder").value + " " + document.getElementById("s-image_repository").value`)); v != "~/neurodesktop-storage docker.io/vnmd/neurodesktop" {
		t.Errorf("settings show %q", v)
	}
	shoot(t, ctx, "readme-settings")
	noTracesInPicture(t, "readme-settings-dark-1280x800", "Settings")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#settings-cancel")), chromedp.WaitVisible(chromedp.CSS("#launcher")),
		chromedp.Click(chromedp.CSS("#start")), chromedp.WaitVisible(chromedp.CSS(`#progress-bar[aria-valuenow]`))); err != nil {
		t.Fatalf("start: %v", err)
	}
	// A few percent in, as a person sees a first pull.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		if v, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`Number(document.getElementById("progress-bar").getAttribute("aria-valuenow") ?? 0)`)); v >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pull did not get going: %q", textOf(ctx, "#progress"))
		}
	}
	noTestArtefacts(t, ctx, "progress")
	if got := textOf(ctx, "#progress"); !strings.Contains(got, "ghcr.io/neurodesk/neurodesktop:2026-11-30") || !strings.Contains(got, "of 4.2 GB") {
		t.Errorf("the progress screen does not show the mirror's image and its size:\n%s", got)
	}
	shoot(t, ctx, "readme-progress")
	noTracesInPicture(t, "readme-progress-light-1280x800", "neurodesktop:2026-11-30")
	// Cancelled, and started again with the image a test can run.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#cancel")), chromedp.WaitVisible(chromedp.CSS("#launcher"))); err != nil {
		t.Fatalf("cancel the pull: %v", err)
	}
	reg.Throttle(0)
	reg.Put("neurodesk/neurodesktop", w.tag, w.s.good)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#start"))); err != nil {
		t.Fatalf("start again: %v", err)
	}
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
	noTracesInPicture(t, "readme-running-dark-1280x800", "running")
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

// readmeProfile makes w look like a researcher's own computer: the data
// folder ~/neurodesktop-storage, the current version as the manifest names
// it, and the default image repositories (which are out of reach here).
func readmeProfile(w *world, checkUpdates bool) {
	w.tag = "2026-11-30"
	w.data = w.home + "/neurodesktop-storage"
	os.MkdirAll(w.data, 0o755)
	w.writeSettings(fmt.Sprintf("data_folder = %q\ncheck_updates = %v\n", w.data, checkUpdates))
	w.run("status") // the cache learns the version
}

// TestREADMEScreenshotsOtherScreens: the README's other pictures,
// from the same profile: an engine on a lab server over SSH (by its
// ssh_config name), no engine answering (Docker installed, its socket
// gone), a start
// with the image registries out of reach, a session that was killed, and
// an update on offer. Each is checked for traces of the test, and for the
// words a person needs.
func TestREADMEScreenshotsOtherScreens(t *testing.T) {
	t.Run("remote-engine", func(t *testing.T) {
		w := newWorld(t)
		readmeProfile(w, false)
		s := startSSHD(t)
		// The server by the name a person gives it in ~/.ssh/config.
		b, _ := os.ReadFile(s.clientConfig)
		cfg := filepath.Join(w.home, "ssh_config")
		os.WriteFile(cfg, []byte(fmt.Sprintf("Host lab-server\n  HostName 127.0.0.1\n  Port %d\n  User root\n", s.port)+string(b)), 0o600)
		w.writeSettings(fmt.Sprintf("data_folder = %q\ncheck_updates = false\n", "/srv/neurodesk/ana"))
		app := w.startGUI("DOCKER_HOST=ssh://lab-server", "NEURODESK_SSH_CONFIG="+cfg, "XDG_RUNTIME_DIR="+filepath.Join(w.home, "run"))
		ctx := browser(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS(`#engine-dot.ok`)),
			chromedp.WaitVisible(chromedp.CSS("#data-remote")), chromedp.Sleep(time.Second)); err != nil {
			t.Fatal(err)
		}
		if title := textOf(ctx, "#launcher-title"); title != "Neurodesktop on lab-server" {
			t.Errorf("the heading says %q", title)
		}
		noTestArtefacts(t, ctx, "remote-engine")
		shoot(t, ctx, "readme-remote-engine")
	})
	t.Run("engine-missing", func(t *testing.T) {
		w := newWorld(t)
		readmeProfile(w, false)
		// No engine answers: the engines' sockets (in /run) are hidden from
		// the app in a mount namespace of its own.
		w.guiWrap = []string{"unshare", "-m", "--propagation", "private", "sh", "-c", `mount -t tmpfs tmpfs /run && exec "$@"`, "sh"}
		app := w.startGUI("DOCKER_HOST=")
		ctx := browser(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS(`#engine-dot.bad`)), chromedp.WaitVisible(chromedp.CSS("#engine-remedy")),
			chromedp.Sleep(time.Second)); err != nil {
			t.Fatal(err)
		}
		if r := textOf(ctx, "#engine-remedy"); !strings.Contains(r, "Docker") {
			t.Errorf("no engine, and the launcher says %q", r)
		}
		noTestArtefacts(t, ctx, "engine-missing")
		shoot(t, ctx, "readme-engine-missing")
	})
	t.Run("error", func(t *testing.T) {
		w := newWorld(t)
		readmeProfile(w, false) // docker.io and ghcr.io, neither reachable here
		app := w.startGUI()
		ctx := browser(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS(`#engine-dot.ok`)),
			chromedp.Click(chromedp.CSS("#start")), chromedp.WaitVisible(chromedp.CSS("#error"))); err != nil {
			t.Fatal(err)
		}
		if r := textOf(ctx, "#error-remedy"); r == "" {
			t.Errorf("the error %q has no remedy", textOf(ctx, "#error"))
		}
		noTestArtefacts(t, ctx, "error")
		shoot(t, ctx, "readme-error")
	})
	t.Run("session-ended", func(t *testing.T) {
		w := newWorld(t)
		// The version is on this computer: the real JupyterLab test image
		// under the name a person's Docker has it by.
		ref := "docker.io/vnmd/neurodesktop:2026-11-30"
		if err := w.docker.ImageTag(context.Background(), jupyterImage(t), ref); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.docker.ImageRemove(context.Background(), ref, image.RemoveOptions{}) }) // the tag only
		readmeProfile(w, false)
		os.Chown(w.data, 1000, 100)
		app := w.startGUI()
		ctx := browser(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS(`#engine-dot.ok`)), chromedp.Click(chromedp.CSS("#start"))); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(3 * time.Minute)
		for loc := ""; !strings.Contains(loc, "/lab"); loc, _ = chromedp.Run(ctx, chromedp.Location()) { // JupyterLab 4 takes the token out
			if time.Now().After(deadline) {
				t.Fatalf("JupyterLab did not come: %s", loc)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS("#running"))); err != nil {
			t.Fatal(err)
		}
		if err := exec.Command("docker", "kill", w.container()).Run(); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#error")), chromedp.Sleep(time.Second)); err != nil {
			t.Fatalf("the ended session is not reported: %v", err)
		}
		if msg := textOf(ctx, "#error"); !strings.Contains(msg, "exit code 137") || !strings.Contains(msg, "kept in ~/") {
			t.Errorf("the launcher says %q", msg)
		}
		// JupyterLab's own log names its address inside the container.
		noTestArtefacts(t, ctx, "session-ended", "127.0.0.1:")
		shoot(t, ctx, "readme-session-ended")
	})
	t.Run("update", func(t *testing.T) {
		w := newWorld(t)
		readmeProfile(w, true)
		name := fmt.Sprintf("neurodeskapp_3.1.0_%s_%s.tar.gz", runtime.GOOS, runtime.GOARCH)
		gh := fakegithub.New("NeuroDesk/neurodesk-app", "v3.1.0", "Notebooks open from the file manager.\nNeurodesk Play's servers are one click away.",
			fakegithub.NewSigner().Sign([]fakegithub.Asset{{Name: name, Data: fakegithub.TarGz("neurodeskapp", []byte("the app"))}}))
		defer gh.Close()
		app := w.startGUI("NEURODESK_UPDATE_API=" + gh.APIBase())
		ctx := browser(t)
		if err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS(`#update-dialog[open]`)), chromedp.Sleep(time.Second)); err != nil {
			t.Fatal(err)
		}
		noTestArtefacts(t, ctx, "update")
		shoot(t, ctx, "readme-update")
	})
}
