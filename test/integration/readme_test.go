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
