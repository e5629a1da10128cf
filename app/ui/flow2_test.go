package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/platform"
	"github.com/neurodesk/neurodeskapp/app/session"
	"github.com/neurodesk/neurodeskapp/app/settings"
	"github.com/neurodesk/neurodeskapp/app/webview"
	"github.com/neurodesk/neurodeskapp/internal/fakeengine"
)

// nowhere is a registry that refuses at once, so no layer-size lookup
// leaves this machine.
const nowhere = "127.0.0.1:1/vnmd/neurodesktop"

// startedService runs startup as the window does: settings from disk, the
// version from a manifest server that names current, the fake engine.
func startedService(t *testing.T, current string, onDisk ...string) (*Service, *fakeRuntime, *fakeengine.Engine) {
	t.Helper()
	manifest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "jupyter_neurodesk_version = %q\n", current)
	}))
	t.Cleanup(manifest.Close)
	s, _ := newService(t)
	s.cfg.Getenv = func(k string) string {
		if k == "NEURODESK_MANIFEST_URL" {
			return manifest.URL
		}
		return noReleases(k)
	}
	st := settings.Defaults(filepath.Join(t.TempDir(), "data"))
	st.ImageRepository, st.MirrorRepository, st.CheckUpdates = nowhere, "", false
	if err := settings.Save(s.cfg.Paths.Settings, st); err != nil {
		t.Fatal(err)
	}
	f := fakeengine.New()
	for _, tag := range onDisk {
		f.Images[nowhere+":"+tag] = true
	}
	f.OnStart = func(c engine.Container) { fakeengine.ServeJupyter(t, c) }
	s.cfg.Connect = func(context.Context) (Engine, []engine.Attempt, error) { return f, nil, nil }
	rt := &fakeRuntime{}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		s.bgWork.Wait() // its refreshes write into the test's folders
	})
	s.startup(ctx, rt)
	return s, rt, f
}

// TestNewVersionDownloadsInTheBackground: the launcher learns of a newer
// version while an older one is on disk, fetches it on request, and then
// runs it; a pin holds the older one until it is lifted.
func TestNewVersionDownloadsInTheBackground(t *testing.T) {
	s, _, f := startedService(t, "2026-12-01", "2026-07-11")
	// The offer and the image line are two updates of the launcher: wait
	// for both.
	eventually(t, "the newer version offered and named current", func() bool {
		sn := s.snapshot()
		return sn.Versions.Next.Tag == "2026-07-11" && sn.Versions.Next.Newer == "2026-12-01" && sn.Image.Tag == "2026-12-01"
	})
	if err := s.DownloadVersion(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the download done", func() bool { return s.snapshot().Versions.Download.State == "done" })
	eventually(t, "the new version next", func() bool { return s.snapshot().Versions.Next.Tag == "2026-12-01" })
	if !f.Called("pull " + nowhere + ":2026-12-01") {
		t.Errorf("calls %v", f.Calls)
	}
	if err := s.PinVersion("2026-07-11"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the pinned version next", func() bool { return s.snapshot().Versions.Next.Tag == "2026-07-11" })
	if loaded, _ := settings.Load(s.cfg.Paths.Settings, settings.Defaults("/x"), timeNow()); loaded.PinnedVersion != "2026-07-11" {
		t.Errorf("the pin was not saved: %q", loaded.PinnedVersion)
	}
	if err := s.UnpinVersion(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the current version next", func() bool { return s.snapshot().Versions.Next.Tag == "2026-12-01" })
	if err := s.DownloadVersion(); err == nil {
		t.Error("a download with nothing newer was accepted")
	}
}

// TestPruneAsksFirst: old versions are removed only after the person
// agrees, and the newest is kept.
func TestPruneAsksFirst(t *testing.T) {
	s, _, f := startedService(t, "2026-12-01", "2026-03-01", "2026-07-11", "2026-12-01")
	rt := s.rt.(*fakeRuntime)
	eventually(t, "the versions listed", func() bool { return len(s.snapshot().Versions.OnDisk) == 3 })
	if err := s.PruneVersions(); err != nil || f.Called("rmi") {
		t.Fatalf("a cancelled prune: %v %v", err, f.Calls)
	}
	if len(rt.asked) != 1 || !strings.Contains(rt.asked[0].Detail, "2026-03-01") || strings.Contains(rt.asked[0].Detail, "2026-12-01 (") {
		t.Errorf("the question %+v", rt.asked)
	}
	rt.answers = []webview.Answer{{Button: 0}}
	if err := s.PruneVersions(); err != nil {
		t.Fatal(err)
	}
	if !f.Called("rmi "+nowhere+":2026-03-01") || f.Called("rmi "+nowhere+":2026-12-01") {
		t.Errorf("removed %v", f.Calls)
	}
	if msg := s.snapshot().Versions.Pruned; !strings.Contains(msg, "Removed 2 old version(s)") {
		t.Errorf("said %q", msg)
	}
}

// TestSessionPagesLogsAndDiagnostics: with a session ready, the window
// goes to JupyterLab and the desktop, the browser gets a private redirect
// page, and the log and diagnostics hide the token.
func TestSessionPagesLogsAndDiagnostics(t *testing.T) {
	s, rt, f := withEngine(t, false)
	if _, err := s.OpenSession(); err == nil {
		t.Error("a session page opened with no session")
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a ready session", func() bool { return s.snapshot().Session.State == "ready" })
	lab, err := s.OpenSession()
	if err != nil || !strings.Contains(lab, "/lab?token=") {
		t.Fatalf("open session: %q %v", lab, err)
	}
	token := lab[strings.Index(lab, "token=")+6:]
	// The route the session lists, as JupyterLab's own tile opens it.
	if err := s.OpenDesktop(); err != nil || len(rt.windows) != 1 || !strings.Contains(rt.windows[0], "/neurodesktop-rdp/?token=") {
		t.Errorf("desktop: %v %v", err, rt.windows)
	}
	if err := s.OpenInBrowser(); err != nil || len(rt.browser) != 1 {
		t.Fatalf("browser: %v %v", err, rt.browser)
	}
	if strings.Contains(rt.browser[0], token) {
		t.Error("the token is in the address given to the browser")
	}
	page, _ := url.Parse(rt.browser[0])
	if b, err := os.ReadFile(platform.PathOfFileURL(page)); err != nil || !strings.Contains(string(b), token) {
		t.Errorf("the redirect page: %v", err)
	}
	s.backToLauncher()
	if rt.count(&rt.launcher) != 1 {
		t.Error("back to the launcher did not show it")
	}
	f.Mu.Lock()
	f.LogText = "Jupyter Server is running at http://127.0.0.1:8888/lab?token=" + token + "\n"
	f.Mu.Unlock()
	log, err := s.ContainerLog()
	if err != nil || strings.Contains(log, token) || !strings.Contains(log, "token=REDACTED") {
		t.Errorf("container log %q: %v", log, err)
	}
	d, _ := s.Diagnostics()
	if !strings.Contains(d, "Engine: ok Docker Engine") || strings.Contains(d, token) {
		t.Errorf("diagnostics:\n%s", d)
	}
}

// TestRecentAndChosenFolders: a recent local session's folder becomes the
// data folder; the folder dialog's choice is saved.
func TestRecentAndChosenFolders(t *testing.T) {
	s, rt := newService(t)
	dir := t.TempDir()
	s.snap.Recent = []Recent{{Kind: "local", Name: dir}, {Kind: "remote", Name: "https://hpc.example.org"}}
	if _, err := s.UseRecent(0); err != nil || s.snapshot().Settings.DataFolder != dir {
		t.Errorf("recent local: %v, folder %q", err, s.snapshot().Settings.DataFolder)
	}
	if r, err := s.UseRecent(1); err != nil || r.Name != "https://hpc.example.org" {
		t.Errorf("recent remote: %+v %v", r, err)
	}
	if _, err := s.UseRecent(5); err == nil {
		t.Error("a recent session that is not there was used")
	}
	rt.folder = filepath.Join(dir, "chosen")
	if snap, err := s.ChooseDataFolder(); err != nil || snap.Settings.DataFolder != rt.folder {
		t.Errorf("chosen: %q %v", snap.Settings.DataFolder, err)
	}
}

// TestRemoteSessionDisconnects: an existing Neurodesktop on this machine is
// connected to with its token, and Stop only disconnects it.
func TestRemoteSessionDisconnects(t *testing.T) {
	s, rt, f := withEngine(t, false)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "token tok" && r.URL.Query().Get("token") != "tok" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	if err := s.ConnectRemote(srv.URL, "wrong"); err == nil {
		t.Error("a wrong token connected")
	}
	if err := s.ConnectRemote(srv.URL, "tok"); err != nil {
		t.Fatal(err)
	}
	if sv := s.snapshot().Session; sv.State != "ready" || !sv.Remote {
		t.Fatalf("session %+v", sv)
	}
	if err := s.Stop(); err != nil || len(rt.asked) != 0 || len(f.Calls) != 0 || s.snapshot().Session.State != "idle" {
		t.Errorf("disconnect: %v, asked %v, engine calls %v", err, rt.asked, f.Calls)
	}
}

// Choosing the engine in Settings connects to it at once, and the launcher
// says it was chosen; while a session runs the choice waits, as the
// session lives on the engine it was started on.
func TestEngineChosenInSettings(t *testing.T) {
	s, _, _ := startedService(t, "2026-07-11", "2026-07-11")
	eventually(t, "the engine", func() bool { return s.snapshot().Engine.State == "ok" && !s.snapshot().Engine.Chosen })
	st := s.snapshot().Settings
	st.Engine = "podman"
	res, err := s.SaveSettings(st)
	if err != nil || !res.Saved {
		t.Fatalf("save: %+v %v", res, err)
	}
	// Chosen is set when the engine is connected anew.
	eventually(t, "a connection to the chosen engine", func() bool { return s.snapshot().Engine.Chosen })

	s.update(func(sn *Snapshot) { sn.Session.State = session.StateReady }) // a session runs
	st.Engine = "ssh://ana@lab-server"
	res, err = s.SaveSettings(st)
	if err != nil || res.Saved || len(res.Fields) != 1 || res.Fields[0].Field != "engine" || !strings.Contains(res.Fields[0].Message, "stop Neurodesktop") {
		t.Errorf("an engine change during a session: %+v %v", res, err)
	}
}
