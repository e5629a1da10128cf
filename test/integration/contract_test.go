package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestImageContract starts a session with the app on the test image that
// enters as the Neurodesktop image does (tini -g -- start.sh, docker-stacks'
// user switch and hooks, JupyterLab 4 on Jupyter Server 2) and checks each
// part of the contract in docs/image-contract.md where the image acts on it.
func TestImageContract(t *testing.T) {
	iw := newInsideWorld(t)
	iw.realLab()
	r := iw.run("start", "--json", "--no-open")
	if r.code != 0 {
		t.Fatalf("start: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	url, _ := r.last()["url"].(string)
	base, token, ok := strings.Cut(url, "/lab?token=")
	if !ok || len(token) != 64 {
		t.Fatalf("start gave no JupyterLab address with a token: %q", url)
	}
	logs := iw.containerLog()
	// The command line shows the image's start-up as it runs, as the
	// launcher's Start-up step does.
	var stages []string
	for _, rec := range r.records {
		if st, ok := rec["stage"].(map[string]any); ok {
			stages = append(stages, fmt.Sprint(st["text"]))
		}
	}
	if !slices.Contains(stages, "Preparing the desktop, the tools and your home folder") || !slices.ContainsFunc(stages, func(s string) bool { return strings.HasPrefix(s, "Neurodesktop's start-up took ") }) {
		t.Errorf("start --json showed the image's start-up as %q", stages)
	}

	// Our Cmd passes through start.sh a second time, which only execs it:
	// the hooks run once each, root's before the user switch.
	for _, hooks := range []string{"start-notebook.d", "before-notebook.d"} {
		if n := strings.Count(logs, "Running hooks in: /usr/local/bin/"+hooks); n != 1 {
			t.Errorf("the %s hooks ran %d times, want once:\n%s", hooks, n, logs)
		}
	}
	// Who Jupyter is inside: the app's user (1000 for root); the image's
	// jovyan 1000:100 under rootless Podman, whose keep-id maps the app's
	// user there; root under rootless Docker (the app's user outside).
	name, uid, gid := "jovyan", iw.s.appUser(), iw.s.appUser()
	switch iw.s.engine {
	case "podman-rootless":
		uid, gid = 1000, 100
	case "docker-rootless":
		name, uid, gid = "root", 0, 0
	}
	for _, want := range []string{
		fmt.Sprintf("before-notebook hook as uid 0 for %s %d:%d", name, uid, gid), // NB_UID/NB_GID reach the hooks, which run as root
		fmt.Sprintf("user start-up as %s uid %d", name, uid),
		"Executing the command: jupyter lab ", // the second start.sh
		"Jupyter Server 2.",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("the container log lacks %q:\n%s", want, logs)
		}
	}
	// Every option the app passes is one Jupyter Server 2 and JupyterLab 4 know.
	for _, bad := range []string{"is not found in", "Unrecognized", "not recognized by"} { // LabApp.quit_button; a flag; a trait a class lacks
		if strings.Contains(logs, bad) {
			t.Errorf("Jupyter complained about the app's options (%q):\n%s", bad, logs)
		}
	}

	// JupyterLab runs as NB_UID, not root, with the token only in its
	// environment: nothing on any command line in the container shows it.
	ps := iw.exec(t, "ps", "-eo", "uid=,args=")
	if !regexp.MustCompile(fmt.Sprintf(`(?m)^\s*%d .*jupyter-lab `, uid)).MatchString(ps) {
		t.Errorf("JupyterLab does not run as uid %d:\n%s", uid, ps)
	}
	if strings.Contains(ps, token) {
		t.Error("the token is on a command line in the container")
	}
	// No GRANT_SUDO: the image's own policy (2026-09: apt only) stands for
	// the Jupyter user (as whom runuser, not the engine's exec user, which
	// Podman's compat API does not always honour, runs sudo). Root under
	// rootless Docker needs no sudo.
	sudo := func(args ...string) (string, error) {
		out, err := exec.Command("docker", append([]string{"exec", iw.container(), "runuser", "-u", name, "--", "sudo", "-n"}, args...)...).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	if name != "root" {
		if out, err := sudo("id", "-u"); err == nil {
			t.Errorf("the Jupyter user has full sudo, which nobody asked for: %s", out)
		}
		if out, err := sudo("apt-get", "--version"); err != nil {
			t.Errorf("the image's apt-only sudo does not work: %v %s", err, out)
		}
	}
	if !strings.Contains(logs, "sudo policy: packages") {
		t.Errorf("the image did not choose its own sudo policy:\n%s", logs)
	}
	// The image does not print its login address (token included) into the
	// log the app shows when a start fails.
	time.Sleep(2 * time.Second) // it would print a second after Jupyter answers
	if log := iw.containerLog(); strings.Contains(log, token) {
		t.Errorf("the container log holds the token:\n%s", log)
	}

	// JupyterLab 4 itself answers at /lab; the desktop's route answers.
	lab := get(t, base+"/lab", token)
	if !strings.Contains(lab, `"appVersion": "4.`) || !strings.Contains(lab, "JupyterLab") {
		t.Errorf("/lab is not JupyterLab 4:\n%.400s", lab)
	}
	if desk := get(t, base+"/neurodesktop-rdp/", token); !strings.Contains(desk, "<title>Neurodesktop RDP</title>") {
		t.Errorf("/neurodesktop-rdp/ did not answer with the desktop:\n%.400s", desk)
	}

	// What JupyterLab saves into the data folder (~/neurodesktop-storage in
	// its file browser) is on disk, owned by the person running the app.
	req, _ := http.NewRequest(http.MethodPut, base+"/api/contents/neurodesktop-storage/analysis.ipynb",
		strings.NewReader(`{"type":"notebook","format":"json","content":{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}}`))
	req.Header.Set("Authorization", "token "+token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("save a notebook: %v %v", err, resp)
	}
	st, err := os.Stat(filepath.Join(iw.data, "analysis.ipynb"))
	if err != nil {
		t.Fatalf("the notebook saved in JupyterLab is not in the data folder: %v", err)
	}
	if sys := st.Sys().(*syscall.Stat_t); int(sys.Uid) != iw.s.appUser() {
		t.Errorf("the notebook belongs to uid %d, want %d (the app's user)", sys.Uid, iw.s.appUser())
	}

	// Full sudo (GRANT_SUDO=yes) when the person asks for it in Settings.
	if r := iw.run("stop", "--json"); r.code != 0 {
		t.Fatalf("stop: exit %d\n%s", r.code, r.stderr)
	}
	settings, _ := os.ReadFile(iw.settingsPath())
	iw.writeSettings(string(settings) + "full_sudo = true\n")
	if r := iw.run("start", "--json", "--no-open"); r.code != 0 {
		t.Fatalf("start with full sudo: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if out, err := sudo("id", "-u"); err != nil || out != "0" {
		t.Errorf("full sudo was asked for: sudo as the Jupyter user gives %v %s", err, out)
	}
}

// containerLog is the session container's whole log.
func (w *world) containerLog() string {
	out, _ := exec.Command("docker", "logs", w.container()).CombinedOutput()
	return string(out)
}

func (w *world) exec(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", append([]string{"exec", w.container()}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker exec %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// get fetches url with the token and returns the body of a 200 answer.
func get(t *testing.T, url, token string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Authorization", "token "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	io.Copy(&b, resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %s", url, resp.Status)
	}
	return b.String()
}

// TestUIImageStartupIsAStep: while the image runs its own start-up (its
// hooks, here made to take 4 s as CVMFS or a big home can), the launcher
// shows it as the Start-up step with a line of its own read from the
// image's log, then JupyterLab's step, then JupyterLab 4.
func TestUIImageStartupIsAStep(t *testing.T) {
	iw := newInsideWorld(t)
	iw.realLab()
	os.WriteFile(filepath.Join(iw.data, ".neurodesk-test-hook-delay"), []byte("4"), 0o644)
	app := iw.startGUI()
	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS(`#engine-dot.ok`)), chromedp.Click(chromedp.CSS("#start"))); err != nil {
		t.Fatal(err)
	}
	// What the progress screen shows, sampled until JupyterLab is reached.
	type view struct{ Active, Line, Location string }
	var seen []view
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[view](`({active: document.querySelector("#steps li.active")?.textContent ?? "",
			line: document.getElementById("progress-message")?.textContent ?? "", location: location.href})`))
		if err != nil {
			continue // the page is changing to JupyterLab
		}
		if len(seen) == 0 || seen[len(seen)-1] != v {
			seen = append(seen, v)
			if strings.HasPrefix(v.Line, "Preparing") {
				shoot(t, ctx, "progress-image-startup")
			}
		}
		if strings.Contains(v.Location, "/lab") {
			break
		}
	}
	has := func(active, line string) bool {
		return slices.ContainsFunc(seen, func(v view) bool { return v.Active == active && regexp.MustCompile(line).MatchString(v.Line) })
	}
	// (Its last line, "start-up took 4.0 s", is followed at once by
	// JupyterLab's first: the launcher may draw only the second. The
	// command line prints every line: TestImageContract.)
	for _, want := range []struct{ active, line string }{
		{"Start-up", `^Preparing the desktop, the tools and your home folder$`},
		{"JupyterLab", `JupyterLab`},
	} {
		if !has(want.active, want.line) {
			t.Errorf("the progress screen never showed step %q with %q; it showed:\n%+v", want.active, want.line, seen)
		}
	}
	// Jupyter Server 2 takes the token from the address into a cookie and
	// redirects to /lab.
	if last := seen[len(seen)-1]; !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/lab(\?token=[0-9a-f]+)?$`).MatchString(last.Location) {
		t.Fatalf("the window did not arrive at JupyterLab: %+v", last)
	}
}
