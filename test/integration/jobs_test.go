package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
)

// jobNotebook is a study's notebook: a parameters cell, a cell that needs
// the Neurodesk tools (mounted before the first cell), one that fails for
// the subject "bad", and one that writes the subject's result slowly
// enough for a run to be seen running.
func jobNotebook() []byte {
	cell := func(id string, tags []string, src ...string) map[string]any {
		md := map[string]any{}
		if tags != nil {
			md["tags"] = tags
		}
		return map[string]any{"cell_type": "code", "id": id, "metadata": md, "execution_count": nil, "outputs": []any{}, "source": src}
	}
	nb := map[string]any{"nbformat": 4, "nbformat_minor": 5,
		"metadata": map[string]any{"kernelspec": map[string]any{"name": "python3", "display_name": "Python 3", "language": "python"}},
		"cells": []any{
			cell("p", []string{"parameters"}, "subject = \"01\"\n", "threshold = 0.5\n"),
			cell("t", nil, "import os, pathlib, time\n", "assert os.path.isdir('/cvmfs/neurodesk.ardc.edu.au/neurodesk-modules'), 'the tools are not there'\n"),
			cell("f", nil, "if subject == 'bad':\n", "    raise ValueError('subject bad has no T1w')\n"),
			cell("w", nil, "time.sleep(6)\n", "pathlib.Path(f'result-{subject}.txt').write_text(f'{subject} {threshold * 2}\\n')\n"),
		}}
	b, _ := json.Marshal(nb)
	return b
}

// TestJobsRunANotebookPerSubject: `neurodeskapp run` runs a notebook of the
// data folder once per row of a table, two at a time, each in a container
// of its own entered the image's way (the tools there before the first
// cell); the command is killed mid-set and the runs go on; `jobs resume`
// finds them and finishes the set; the failing subject fails with its
// cell's error, its partial output kept; every run has its executed
// notebook and a record (RO-Crate) beside the input; `jobs rerun --failed`
// runs only that one again, with the same image by digest.
func TestJobsRunANotebookPerSubject(t *testing.T) {
	w := newWorld(t)
	img := jupyterImage(t)
	study := filepath.Join(w.data, "study")
	if err := os.MkdirAll(study, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(study, "analysis.ipynb"), jobNotebook(), 0o644)
	os.WriteFile(filepath.Join(study, "subjects.csv"), []byte("subject,threshold\n01,0.5\nbad,0.5\n02,1.5\n"), 0o644)
	for _, d := range []string{w.data, study} {
		os.Chown(d, w.s.appUser(), w.s.appUser())
	}
	w.writeSettings(w.baseSettings() + "channel = \"custom\"\ncustom_image = \"" + img + "\"\n")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := w.command(ctx, nil, "run", filepath.Join(study, "analysis.ipynb"), "--each", filepath.Join(study, "subjects.csv"), "--at-once", "2", "--json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Two runs at once, and no more.
	running := func() []container.Summary {
		list, _ := w.docker.ContainerList(ctx, container.ListOptions{Filters: filters.NewArgs(filters.Arg("label", "org.neurodesk.app.role=job"))})
		return list
	}
	for deadline := time.Now().Add(2 * time.Minute); len(running()) < 2; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("two runs did not start:\n%s\n%s", stdout.String(), stderr.String())
		}
	}
	if n := len(running()); n != 2 {
		t.Errorf("%d runs at once, want 2", n)
	}
	// The app is killed mid-set: its runs go on.
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	var id string
	for _, rec := range parseRecords(t, stdout.String()) {
		if job, ok := rec["job"].(map[string]any); ok {
			id, _ = job["id"].(string)
		}
	}
	if id == "" {
		t.Fatalf("run printed no job:\n%s\n%s", stdout.String(), stderr.String())
	}
	time.Sleep(time.Second)
	if n := len(running()); n == 0 {
		t.Errorf("the runs ended with the command that started them")
	}

	r := w.run("jobs", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, id) {
		t.Fatalf("jobs: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = w.runEnv(nil, "jobs", "resume", id)
	if r.code != 9 {
		t.Fatalf("resume: exit %d, want 9 (a run failed)\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for subject, want := range map[string]string{"01": "01 1.0\n", "02": "02 3.0\n"} {
		if b, err := os.ReadFile(filepath.Join(study, "result-"+subject+".txt")); string(b) != want {
			t.Errorf("result of subject %s: %q %v, want %q", subject, b, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(study, "result-bad.txt")); err == nil {
		t.Error("the failing subject ran past its failing cell")
	}
	if !strings.Contains(r.stderr, "failed: cell 3 of 4 raised ValueError: subject bad has no T1w") {
		t.Errorf("resume does not say why the run failed:\n%s", r.stderr)
	}
	var job struct {
		Job struct {
			ImageDigest string `json:"image_digest"`
			Runs        []struct {
				State, Output string
				Progress      struct{ Done, Total int }
			} `json:"runs"`
		} `json:"job"`
	}
	r = w.run("jobs", id, "--json")
	if err := json.Unmarshal([]byte(strings.TrimSpace(r.stdout)), &job); err != nil || len(job.Job.Runs) != 3 {
		t.Fatalf("jobs %s --json: %v\n%s", id, err, r.stdout)
	}
	for i, want := range []string{"succeeded", "failed", "succeeded"} {
		run := job.Job.Runs[i]
		if run.State != want {
			t.Errorf("run %d: %s, want %s", i+1, run.State, want)
		}
		if b, err := os.ReadFile(run.Output); err != nil || !bytes.Contains(b, []byte(`"papermill"`)) {
			t.Errorf("run %d's executed notebook %s: %v", i+1, run.Output, err)
		}
		crate, err := os.ReadFile(strings.TrimSuffix(run.Output, ".ipynb") + "-ro-crate-metadata.json")
		_, hex, _ := strings.Cut(job.Job.ImageDigest, "sha256:")
		if err != nil || hex == "" || !bytes.Contains(crate, []byte(`"sha256": "`+hex+`"`)) {
			t.Errorf("run %d's record: %v\n%s", i+1, err, crate)
		}
	}
	if p := job.Job.Runs[0].Progress; p.Done != 4 || p.Total != 4 {
		t.Errorf("run 1's progress %+v, want 4 of 4 cells", p)
	}
	if r := w.run("jobs", id); !strings.Contains(r.stdout, "ValueError: subject bad has no T1w") || !strings.Contains(r.stdout, "raise ValueError") {
		t.Errorf("jobs %s does not show the traceback:\n%s", id, r.stdout)
	}
	if r := w.run("jobs", "log", id, "2"); r.code != 0 || !strings.Contains(r.stdout, "Executing") {
		t.Errorf("jobs log %s 2: exit %d\n%s\n%s", id, r.code, r.stdout, r.stderr)
	}
	if n := len(running()); n != 0 {
		t.Errorf("%d run containers left after the job ended", n)
	}
	all, _ := w.docker.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", "org.neurodesk.app.job="+id))})
	if len(all) != 0 {
		t.Errorf("%d ended run containers kept", len(all))
	}

	// Only the failed run again, on the same image.
	r = w.runEnv(nil, "jobs", "rerun", id, "--failed", "--json")
	if r.code != 9 {
		t.Fatalf("rerun --failed: exit %d, want 9\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var again struct {
		Job struct {
			RerunOf     string `json:"rerun_of"`
			ImageDigest string `json:"image_digest"`
			Runs        []struct{ Values map[string]any }
		} `json:"job"`
	}
	recs := strings.Split(strings.TrimSpace(r.stdout), "\n")
	json.Unmarshal([]byte(recs[len(recs)-1]), &again)
	if again.Job.RerunOf != id || again.Job.ImageDigest != job.Job.ImageDigest || len(again.Job.Runs) != 1 || again.Job.Runs[0].Values["subject"] != "bad" {
		t.Errorf("the rerun %+v", again.Job)
	}
}

// TestUIJobs: the launcher's Jobs card shows a job run from the command
// line, its runs as squares (the failed one chosen, its reason said); Log
// shows that run's log; "Run the failed again" runs only it again, and the
// card follows the new job to its end.
func TestUIJobs(t *testing.T) {
	w := newWorld(t)
	img := jupyterImage(t)
	study := filepath.Join(w.data, "study")
	os.MkdirAll(study, 0o755)
	os.WriteFile(filepath.Join(study, "analysis.ipynb"), jobNotebook(), 0o644)
	os.WriteFile(filepath.Join(study, "subjects.csv"), []byte("subject\n01\nbad\n"), 0o644)
	for _, d := range []string{w.data, study} {
		os.Chown(d, w.s.appUser(), w.s.appUser())
	}
	w.writeSettings(w.baseSettings() + "channel = \"custom\"\ncustom_image = \"" + img + "\"\n")
	if r := w.run("run", filepath.Join(study, "analysis.ipynb"), "--each", filepath.Join(study, "subjects.csv")); r.code != 9 {
		t.Fatalf("run: exit %d, want 9\n%s", r.code, r.stderr)
	}

	// A session bus of its own, with a real notification daemon (dunst)
	// on the window's screen, and a monitor of what reaches it.
	bus := "unix:path=" + filepath.Join(w.home, "bus")
	daemon := exec.Command("dbus-daemon", "--session", "--nofork", "--address="+bus)
	if err := daemon.Start(); err != nil {
		t.Fatalf("dbus-daemon (scripts/deps.sh test installs it): %v", err)
	}
	t.Cleanup(func() { daemon.Process.Kill(); daemon.Wait() })
	waitFor(t, "the session bus", func() bool { _, err := os.Stat(filepath.Join(w.home, "bus")); return err == nil })
	app := w.startGUI("DBUS_SESSION_BUS_ADDRESS=" + bus)
	dunst := exec.Command("dunst")
	dunst.Env = append(os.Environ(), "DISPLAY="+app.display, "DBUS_SESSION_BUS_ADDRESS="+bus)
	var monitored bytes.Buffer
	monitor := exec.Command("dbus-monitor", "--address", bus, "interface='org.freedesktop.Notifications',member='Notify'")
	monitor.Stdout = &monitored
	for _, c := range []*exec.Cmd{dunst, monitor} {
		if err := c.Start(); err != nil {
			t.Fatalf("%s: %v", c.Path, err)
		}
		t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	}
	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(app.url), chromedp.WaitVisible(chromedp.CSS("#jobs-card"))); err != nil {
		t.Fatalf("the Jobs card: %v", err)
	}
	if got := textOf(ctx, "#jobs > li strong"); got != "study/analysis.ipynb · 2 runs: 1 done, 1 failed" {
		t.Errorf("the job's line: %q", got)
	}
	squares, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#jobs > li:first-child .runs button")].map(b => b.className + "|" + b.getAttribute("aria-pressed") + "|" + b.getAttribute("aria-label"))`))
	if len(squares) != 2 || squares[0] != "succeeded|false|Run 1 (subject=01): done" ||
		squares[1] != "failed|true|Run 2 (subject=bad): failed: cell 3 of 4 raised ValueError: subject bad has no T1w" {
		t.Errorf("the runs: %q", squares)
	}
	shoot(t, ctx, "ui-jobs")

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#jobs > li:first-child [data-key$="/log"]`)), chromedp.WaitVisible(chromedp.CSS("#job-log-dialog"))); err != nil {
		t.Fatalf("Log: %v", err)
	}
	if log := textOf(ctx, "#job-log"); !strings.Contains(log, "ValueError") || !strings.Contains(log, "Executing") {
		t.Errorf("the failed run's log:\n%s", log)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#job-log-close")),
		chromedp.Click(chromedp.CSS(`#jobs > li:first-child [data-key$="/rerun"]`))); err != nil {
		t.Fatalf("Run the failed again: %v", err)
	}
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(500 * time.Millisecond) {
		if got := textOf(ctx, "#jobs > li:first-child strong"); got == "study/analysis.ipynb · 1 run: 1 failed" {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the rerun did not end as it should: %q", got)
		}
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#jobs > li").length`)); n != 2 {
		t.Errorf("%d jobs on the card, want the first and its rerun", n)
	}
	// Its end is told to the desktop: the daemon shows it on the screen.
	waitFor(t, "the notification", func() bool { return strings.Contains(monitored.String(), "Job failed: analysis.ipynb") })
	if !strings.Contains(monitored.String(), "0 of 1 runs done, 1 failed.") {
		t.Errorf("the notification says:\n%s", monitored.String())
	}
	shot := filepath.Join(screenshotDir(t), "ui-jobs-notification.png")
	if out, err := exec.Command("import", "-display", app.display, "-window", "root", shot).CombinedOutput(); err != nil {
		t.Errorf("a picture of the screen: %v %s", err, out)
	}
	count := exec.Command("dunstctl", "count", "displayed")
	count.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS="+bus)
	if out, err := count.Output(); err != nil || strings.TrimSpace(string(out)) == "0" {
		history := exec.Command("dunstctl", "count", "history")
		history.Env = count.Env
		h, _ := history.Output()
		if strings.TrimSpace(string(h)) == "0" {
			t.Errorf("dunst shows no notification (displayed %q %v, history %q)", out, err, h)
		}
	}
}

// waitFor waits up to a minute for ok, or fails the test naming what.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !ok(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
	}
}
