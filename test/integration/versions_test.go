package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/docker/docker/api/types/image"

	"github.com/neurodesk/neurodeskapp/internal/testimage"
)

// versionsWorld is a world whose repository has dated releases, and whose
// manifest server names whichever one the test says, with nothing cached.
type versionsWorld struct {
	*world
	mu      sync.Mutex
	current string
}

func (v *versionsWorld) publish(tag string) {
	v.mu.Lock()
	v.current = tag
	v.mu.Unlock()
}

func newVersionsWorld(t *testing.T, tags ...string) *versionsWorld {
	w := newWorld(t)
	v := &versionsWorld{world: w}
	// A repository of its own, so its tags can be real dates.
	w.repo = w.s.registry.Addr + "/v" + w.instance + "/neurodesktop"
	for i, tag := range tags {
		img, err := testimage.Build(w.s.standin, testimage.Options{PaddingSize: 1<<20 + i*4096})
		if err != nil {
			t.Fatal(err)
		}
		w.s.registry.Put("v"+w.instance+"/neurodesktop", tag, img)
	}
	manifest := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		v.mu.Lock()
		defer v.mu.Unlock()
		fmt.Fprintf(rw, "jupyter_neurodesk_version = %q\n", v.current)
	}))
	t.Cleanup(manifest.Close)
	for i, e := range w.env {
		if strings.HasPrefix(e, "NEURODESK_MANIFEST_URL=") {
			w.env[i] = "NEURODESK_MANIFEST_URL=" + manifest.URL
		}
	}
	os.RemoveAll(filepath.Join(w.home, "cache")) // a new install: nothing cached
	w.writeSettings(w.baseSettings())
	t.Cleanup(func() {
		imgs, _ := w.docker.ImageList(context.Background(), image.ListOptions{})
		for _, i := range imgs {
			for _, ref := range i.RepoTags {
				if strings.HasPrefix(ref, w.repo+":") {
					w.docker.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true, PruneChildren: true})
				}
			}
		}
	})
	return v
}

func (v *versionsWorld) runningVersion() string {
	return v.inspect().Config.Labels["org.neurodesk.app.version"]
}

func (v *versionsWorld) startStop(args ...string) result {
	v.t.Helper()
	r := v.run(append([]string{"start", "--json", "--no-open"}, args...)...)
	if r.code != 0 {
		v.t.Fatalf("start %v: exit %d\n%s\n%s", args, r.code, r.stdout, r.stderr)
	}
	got := v.runningVersion()
	if s := v.run("stop"); s.code != 0 {
		v.t.Fatalf("stop: %s", s.stderr)
	}
	r.records = append(r.records, map[string]any{"state": "ran", "message": got})
	return r
}

func ranVersion(r result) string {
	for _, rec := range r.records {
		if rec["state"] == "ran" {
			return rec["message"].(string)
		}
	}
	return ""
}

// TestNewVersionDoesNotBlockStart: a first start pulls what the manifest
// names now (not the copy built into the app); on the day a new version
// is published, start runs the one on disk at once and says a newer one
// exists; pull fetches it and the next start uses it; a pinned version
// wins; versions lists it all; prune frees what is not used.
func TestNewVersionDoesNotBlockStart(t *testing.T) {
	v := newVersionsWorld(t, "2026-03-01", "2026-12-01")
	v.publish("2026-03-01") // not the embedded 2026-07-11, which the registry lacks

	r := v.startStop()
	if got := ranVersion(r); got != "2026-03-01" || !slices.Contains(r.states(), "pulling") {
		t.Fatalf("first start ran %q (states %v); want the manifest's 2026-03-01, pulled", got, r.states())
	}

	v.publish("2026-12-01")
	r = v.startStop()
	if got := ranVersion(r); got != "2026-03-01" || slices.Contains(r.states(), "pulling") {
		t.Errorf("the day a new version is published, start ran %q with states %v; want the one on disk, no pull", got, r.states())
	}
	if !strings.Contains(r.notes(), "2026-12-01 is available") {
		t.Errorf("start did not say a newer version exists: %q", r.notes())
	}

	var rep struct {
		Current  struct{ Tag, Origin string }
		Registry []string
		OnDisk   []struct {
			Tag  string
			Size int64
		} `json:"on_disk"`
	}
	vr := v.run("versions", "--json")
	if err := json.Unmarshal([]byte(vr.stdout), &rep); err != nil || vr.code != 0 {
		t.Fatalf("versions: exit %d %v\n%s", vr.code, err, vr.stdout)
	}
	if rep.Current.Tag != "2026-12-01" || !slices.Equal(rep.Registry, []string{"2026-12-01", "2026-03-01"}) ||
		len(rep.OnDisk) != 1 || rep.OnDisk[0].Tag != "2026-03-01" || rep.OnDisk[0].Size <= 0 {
		t.Errorf("versions: %+v", rep)
	}

	if p := v.run("pull"); p.code != 0 {
		t.Fatalf("pull: %s", p.stderr)
	}
	if got := ranVersion(v.startStop()); got != "2026-12-01" {
		t.Errorf("after the download, start ran %q", got)
	}
	if got := ranVersion(v.startStop("--version", "2026-03-01")); got != "2026-03-01" {
		t.Errorf("start --version 2026-03-01 ran %q", got)
	}
	v.writeSettings(v.baseSettings() + "pinned_version = \"2026-03-01\"\n")
	if got := ranVersion(v.startStop()); got != "2026-03-01" {
		t.Errorf("pinned to 2026-03-01, start ran %q", got)
	}

	// Prune keeps the pinned one and the newest; unpinned, the old one goes,
	// unless a session runs it. Another repository's image stays.
	other := v.s.registry.Put("other/tool", "2025-01-01", v.s.good)
	if p := v.run("pull", "--image", other); p.code != 0 {
		t.Fatalf("pull other: %s", p.stderr)
	}
	defer v.docker.ImageRemove(context.Background(), other, image.RemoveOptions{Force: true})
	var pr struct {
		Removed []struct{ Tag string }
		Freed   int64
	}
	decode := func(r result) {
		t.Helper()
		pr.Removed, pr.Freed = nil, 0
		if err := json.Unmarshal([]byte(r.stdout), &pr); err != nil || r.code != 0 {
			t.Fatalf("prune: exit %d %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
		}
	}
	decode(v.run("prune", "--json"))
	if len(pr.Removed) != 0 {
		t.Errorf("prune removed %v although it is pinned", pr.Removed)
	}
	v.writeSettings(v.baseSettings())
	if r := v.run("start", "--no-open", "--version", "2026-03-01"); r.code != 0 {
		t.Fatalf("start: %s", r.stderr)
	}
	decode(v.run("prune", "--json"))
	if len(pr.Removed) != 0 {
		t.Errorf("prune removed %v although a session runs it", pr.Removed)
	}
	v.run("stop")
	decode(v.run("prune", "--dry-run", "--json"))
	if len(pr.Removed) != 1 || pr.Removed[0].Tag != "2026-03-01" {
		t.Errorf("dry run would remove %v", pr.Removed)
	}
	decode(v.run("prune", "--json"))
	if len(pr.Removed) != 1 || pr.Removed[0].Tag != "2026-03-01" || pr.Freed <= 0 {
		t.Errorf("prune removed %v and freed %d", pr.Removed, pr.Freed)
	}
	if ok, _ := imagePresent(v.world, v.repo+":2026-12-01"); !ok {
		t.Error("prune removed the newest version")
	}
	if ok, _ := imagePresent(v.world, other); !ok {
		t.Error("prune removed another repository's image")
	}
}

func imagePresent(w *world, ref string) (bool, error) {
	_, err := w.docker.ImageInspect(context.Background(), ref)
	return err == nil, err
}

// TestUINewVersionInTheBackground: on the launcher, with an older version
// on disk, the newer one the manifest names is offered; it downloads in
// the background with progress, and the next start runs it.
func TestUINewVersionInTheBackground(t *testing.T) {
	v := newVersionsWorld(t, "2026-03-01", "2026-12-01")
	v.publish("2026-03-01")
	v.startStop()
	v.publish("2026-12-01")

	app := v.startGUI()
	ctx := browser(t)
	err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS(`#version-newer:not([hidden])`)))
	if err != nil {
		t.Fatalf("no newer version offered: version %q", textOf(ctx, "#version"))
	}
	if got, line := textOf(ctx, "#version"), textOf(ctx, "#version-newer-text"); got != "2026-03-01" || !strings.Contains(line, "2026-12-01 is available") {
		t.Errorf("launcher shows %q, %q", got, line)
	}
	shoot(t, ctx, "new-version")
	// A slow registry: the download shows its progress and can be cancelled.
	v.s.registry.Throttle(256 << 10)
	defer v.s.registry.Throttle(0)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#download-version")),
		chromedp.WaitVisible(chromedp.CSS(`#download-bar`)), chromedp.WaitVisible(chromedp.CSS(`#cancel-download`))); err != nil {
		t.Fatal(err)
	}
	shoot(t, ctx, "new-version-downloading")
	if s := textOf(ctx, "#download-status"); !strings.Contains(s, "of") {
		t.Errorf("download status %q", s)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#cancel-download")), chromedp.WaitVisible(chromedp.CSS(`#download-version`))); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	v.s.registry.Throttle(0)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#download-version")),
		chromedp.WaitReady(chromedp.CSS(`#download-version[hidden]`))); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) && !strings.Contains(textOf(ctx, "#version-newer-text"), "is ready") {
		time.Sleep(200 * time.Millisecond)
	}
	if line := textOf(ctx, "#version-newer-text"); !strings.Contains(line, "2026-12-01 is ready") {
		t.Fatalf("the download did not finish: %q", line)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#start:not([disabled])`)), chromedp.Click(chromedp.CSS("#start"))); err != nil {
		t.Fatal(err)
	}
	for time.Now().Before(deadline) && !v.containerExists() {
		time.Sleep(200 * time.Millisecond)
	}
	for time.Now().Before(deadline) {
		if c, err := v.docker.ContainerInspect(context.Background(), v.container()); err == nil && c.State.Running {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := v.runningVersion(); got != "2026-12-01" {
		t.Errorf("after the download, Start ran %q", got)
	}
}

// TestVersionFromEverySource: a stale neurodesktop.toml (a year behind)
// does not hold a person back while GitHub's releases name a newer
// version the registry has; a release the registry lacks is not taken; a
// toml rolled back, and then every source dead, move nobody back. The
// command line says what each source said.
func TestVersionFromEverySource(t *testing.T) {
	v := newVersionsWorld(t, "2025-06-08", "2026-10-30")
	v.publish("2025-06-08")
	var mu sync.Mutex
	releases := `[{"tag_name":"2026-11-20","draft":false,"prerelease":false},{"tag_name":"2026-10-30","draft":false,"prerelease":false}]`
	github := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if releases == "" {
			rw.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(rw, releases)
	}))
	defer github.Close()
	for i, e := range v.env {
		if strings.HasPrefix(e, "NEURODESK_RELEASES_URL=") {
			v.env[i] = "NEURODESK_RELEASES_URL=" + github.URL
		}
	}
	type report struct {
		Current struct{ Tag string }
		Sources []struct{ Name, Tag, Error string }
	}
	versions := func() report {
		t.Helper()
		r := v.run("versions", "--json")
		var rep report
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("versions --json: exit %d: %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
		}
		return rep
	}
	// GitHub names 2026-11-20, which the registry lacks: 2026-10-30, not the toml's.
	rep := versions()
	said := map[string]string{}
	for _, s := range rep.Sources {
		said[s.Name] = s.Tag
	}
	if rep.Current.Tag != "2026-10-30" || said["neurodesktop.toml"] != "2025-06-08" || said["GitHub releases"] != "2026-11-20" || said["registry"] != "2026-10-30" {
		t.Errorf("current %q, sources said %v", rep.Current.Tag, said)
	}
	if got := ranVersion(v.startStop()); got != "2026-10-30" {
		t.Errorf("start ran %q, want 2026-10-30", got)
	}
	// Rolled back, then nothing answers: still 2026-10-30.
	v.publish("2025-06-08")
	mu.Lock()
	releases = ""
	mu.Unlock()
	if rep := versions(); rep.Current.Tag != "2026-10-30" {
		t.Errorf("after a rollback the current version is %q", rep.Current.Tag)
	}
	if got := ranVersion(v.startStop()); got != "2026-10-30" {
		t.Errorf("after a rollback start ran %q", got)
	}
	r := v.run("versions")
	if !strings.Contains(r.stdout, "neurodesktop.toml: ") || !strings.Contains(r.stdout, "GitHub releases: ") {
		t.Errorf("versions does not say what each source said:\n%s", r.stdout)
	}
}
