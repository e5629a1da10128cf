package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/neurodesk/neurodeskapp/app/session"
)

// baseline is a `docker run` of the test image the app is compared with.
type baseline struct {
	ref, data, privileges string
	run, cmd              []string // flags beyond the bench's, and Jupyter options
	keep                  bool     // leave it running (the caller removes it)
}

const dockerRunName = "neurodeskapp-bench-dockerrun"

// toReady runs it and a tight loop until each of paths answers with the
// token; it returns the milliseconds that took and the published port.
func (d baseline) toReady(paths ...string) (float64, int) {
	port := freePort()
	start := time.Now()
	privs := []string{"--cap-add", "SYS_ADMIN", "--device", "/dev/fuse"}
	if d.privileges == "full" {
		privs = []string{"--privileged"}
	}
	// The documentation's command (neurodesktop.toml's [linux] base).
	args := append(append(append([]string{"run", "-d", "--name", dockerRunName, "--user", "root", "--shm-size", "1g"}, privs...), d.run...),
		"-e", "JUPYTER_TOKEN=bench", "-e", "NB_UID=1000", "-e", "NB_GID=1000", "--add-host", "host.docker.internal:host-gateway",
		"-e", "OLLAMA_HOST=http://host.docker.internal:11434",
		"-e", "CVMFS_DISABLE=false", "-v", d.data+":/neurodesktop-storage", "-p", fmt.Sprintf("127.0.0.1:%d:8888", port), d.ref,
		"start.sh", "jupyter", "lab", "--ServerApp.password=", "--no-browser", "--ServerApp.port=8888")
	args = append(args, d.cmd...)
	if out, err := exec.Command("docker", args...).CombinedOutput(); err != nil {
		fail("docker run: %v\n%s", err, out)
	}
	if !d.keep {
		defer exec.Command("docker", "rm", "-f", dockerRunName).Run()
	}
	for _, path := range paths {
		url := fmt.Sprintf("http://127.0.0.1:%d%s", port, path)
		for {
			if time.Since(start) > 2*time.Minute {
				fail("docker run: %s did not answer", path)
			}
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Authorization", "token bench")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return float64(time.Since(start).Milliseconds()), port
}

// contract is what the app's launch adds to the documentation's `docker
// run`: the home volume, the contract's variables, and Jupyter's options.
func contract(d baseline, volume string) baseline {
	d.run = []string{"-v", volume + ":/home/jovyan",
		"-e", "NB_USER=jovyan", "-e", "NEURODESKTOP_VERSION=bench", "-e", "NEURODESKTOP_PRINT_ACCESS_URL=0"}
	d.cmd = []string{"--expose-app-in-browser", "--ServerApp.quit_button=False"}
	return d
}

// lab4Times is a start on the image that enters as Neurodesktop's does
// (test/jupyter: tini, start.sh and its hooks, JupyterLab 4 on Jupyter
// Server 2, a real desktop behind its routes), against `docker run` of it
// until /lab answers: plain, and with what the app's launch adds, so the
// app's own cost is told from the contract's.
func lab4Times(root, app, tmp string) []row {
	out, err := exec.Command(filepath.Join(root, "test", "jupyter", "build-image.sh")).Output()
	if err != nil {
		fail("build the JupyterLab 4 test image: %v", err)
	}
	ref := strings.TrimSpace(string(out))
	home := filepath.Join(tmp, "lab4")
	data := filepath.Join(home, "data")
	os.MkdirAll(data, 0o755)
	os.Chown(data, 1000, 1000) // Jupyter runs as 1000 when the app runs as root
	os.MkdirAll(filepath.Join(home, "c", "neurodeskapp"), 0o755)
	os.WriteFile(filepath.Join(home, "c", "neurodeskapp", "settings.toml"),
		[]byte(fmt.Sprintf("data_folder = %q\nchannel = \"custom\"\ncustom_image = %q\ncheck_updates = false\n", data, ref)), 0o644)
	e := env(home, "", "NEURODESKAPP_INSTANCE=bench-lab4")
	run := runner(app, e)
	volume := "neurodesk-home-bench-dockerrun"
	defer func() {
		run("stop")
		exec.Command("docker", "rm", "-f", dockerRunName).Run()
		exec.Command("docker", "volume", "rm", "neurodesk-home-bench-lab4", volume).Run()
	}()
	run("start", "--no-open") // the first start learns what this engine allows, and fills the home
	out, _ = exec.Command("docker", "inspect", "-f", `{{index .Config.Labels "org.neurodesk.app.privileges"}}`, "neurodeskapp-bench-lab4").Output()
	plain := baseline{ref: ref, data: data, privileges: strings.TrimSpace(string(out))}
	run("stop")
	full := contract(plain, volume)
	full.toReady("/api/status") // its home filled too
	var starts, plains, fulls []float64
	for i := 0; i < 5; i++ { // interleaved, so each meets the same machine
		starts = append(starts, float64(run("start", "--no-open").Milliseconds()))
		run("stop")
		ms, _ := plain.toReady("/api/status", "/lab")
		plains = append(plains, ms)
		ms, _ = full.toReady("/api/status", "/lab")
		fulls = append(fulls, ms)
	}
	app4, dr, drc := median(starts), median(plains), median(fulls)
	rows := []row{
		{"start to JupyterLab 4 answering /lab (docker-stacks-style image, median of 5)", fmt.Sprintf("%.0f ms", app4), "-"},
		{"`docker run` of it + 20 ms loop until /lab answers (median of 5)", fmt.Sprintf("%.0f ms (app %.2f×, %+.0f ms)", dr, app4/dr, app4-dr), "app ≤ 1.05× or +150 ms"},
		{"the same `docker run` with the app's home volume, variables and options", fmt.Sprintf("%.0f ms (app %.2f×, %+.0f ms)", drc, app4/drc, app4-drc), "app ≤ 1.05× or +150 ms"},
	}
	return append(rows, desktopTimes(run, e, app, full)...)
}

// desktopTimes is "Open the Linux desktop" to its first frame: the route
// asked of the session as the app asks it, then the desktop's page in
// Chromium until the terminal on it is drawn; against the same page of a
// `docker run` of the image, its route typed by hand. Each opens a desktop
// that is not running yet, as the first open of a session does.
func desktopTimes(run func(...string) time.Duration, env []string, app string, d baseline) []row {
	ctx, cancel := chromium()
	defer cancel()
	var viaApp, byHand []float64
	for i := 0; i < 3; i++ {
		run("start", "--no-open")
		cmd := exec.Command(app, "status", "--json")
		cmd.Env = env
		out, _ := cmd.Output()
		var st struct{ URL string }
		json.Unmarshal(out, &st)
		base, token, _ := strings.Cut(st.URL, "/lab?token=")
		start := time.Now()
		info := session.Info{BaseURL: base, Token: token}
		desk, err := session.FindDesktop(context.Background(), &http.Client{}, info)
		if err != nil {
			fail("ask the session for its desktop: %v", err)
		}
		firstFrame(ctx, info.DesktopURL(desk))
		viaApp = append(viaApp, float64(time.Since(start).Milliseconds()))
		run("stop")

		d.keep = true
		_, port := d.toReady("/api/status")
		start = time.Now()
		firstFrame(ctx, fmt.Sprintf("http://127.0.0.1:%d/neurodesktop-rdp/?token=bench", port))
		byHand = append(byHand, float64(time.Since(start).Milliseconds()))
		exec.Command("docker", "rm", "-f", dockerRunName).Run()
	}
	a, h := median(viaApp), median(byHand)
	return []row{
		{"Open the Linux desktop → its first frame, the session's route (median of 3)", fmt.Sprintf("%.0f ms", a), "-"},
		{"the same desktop page of a `docker run`, its route typed (median of 3)", fmt.Sprintf("%.0f ms (app %.2f×, %+.0f ms)", h, a/h, a-h), "app ≤ 1.05× or +150 ms"},
	}
}

func chromium() (context.Context, context.CancelFunc) {
	path := "chromium"
	if p, err := exec.LookPath("google-chrome"); err == nil {
		path = p
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1280, 800))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		fail("chromium: %v", err)
	}
	return ctx, func() { cancelC(); cancelA() }
}

// firstFrame loads a desktop's page and waits until its terminal is drawn
// (xterm's white where it opens, at 300,200 of the screen).
func firstFrame(ctx context.Context, url string) {
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		fail("open the desktop: %v", err)
	}
	const drawn = `(() => { const c = document.querySelector("#screen canvas");
	  if (!c || c.width < 400) return false;
	  const p = c.getContext("2d").getImageData(300, 200, 1, 1).data;
	  return p[0] > 240 && p[1] > 240 && p[2] > 240; })()`
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](drawn)); err == nil && ok {
			return
		}
	}
	state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.title + ": " + (document.getElementById("status")?.textContent ?? "no client")`))
	fail("the desktop at %s drew no terminal within a minute (%s)", url, state)
}
