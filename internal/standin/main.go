// Command standin answers like the Neurodesktop image's Jupyter does, so the
// integration tests run a real container without the multi-gigabyte image.
// It is a multi-call binary: installed as start.sh, stat and chown.
//
// start.sh jupyter lab ... --ServerApp.port=P, with the token in
// JUPYTER_TOKEN as Jupyter Server reads it, serves
// /api/status (token checked), /lab and /neurodesktop/, appends a line to
// /neurodesktop-storage/standin-starts.txt, and stops on SIGTERM.
// STANDIN_EXIT=N makes it print a few log lines and exit with N instead.
// As the real start.sh hands over to the Jupyter user, it also appends to
// /neurodesktop-storage/standin-jupyter-user.txt as NB_UID:NB_GID, so tests
// see who owns what JupyterLab writes into the data folder.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	switch filepath.Base(os.Args[0]) {
	case "stat":
		os.Exit(stat(os.Args[1:]))
	case "chown":
		os.Exit(chown(os.Args[1:]))
	case "as-jupyter-user":
		os.Exit(appendLine(jupyterUserFile))
	}
	os.Exit(jupyter(os.Args[1:]))
}

func jupyter(args []string) int {
	token, port := os.Getenv("JUPYTER_TOKEN"), "8888"
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--ServerApp.port="); ok {
			port = v
		}
	}
	fmt.Printf("Entered start.sh with args: %d arguments\n", len(args))
	fmt.Printf("NB_UID=%s NB_GID=%s NEURODESKTOP_VERSION=%s CVMFS_DISABLE=%s\n",
		os.Getenv("NB_UID"), os.Getenv("NB_GID"), os.Getenv("NEURODESKTOP_VERSION"), os.Getenv("CVMFS_DISABLE"))
	if v := os.Getenv("STANDIN_EXIT"); v != "" {
		code, _ := strconv.Atoi(v)
		fmt.Println("Mounting CVMFS...")
		fmt.Fprintln(os.Stderr, "standin: simulated failure: cannot mount /cvmfs")
		return code
	}
	if ms, _ := strconv.Atoi(os.Getenv("STANDIN_DELAY_MS")); ms > 0 {
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	if f, err := os.OpenFile("/neurodesktop-storage/standin-starts.txt", os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		fmt.Fprintf(f, "started %s\n", time.Now().UTC().Format(time.RFC3339Nano))
		f.Close()
	}
	writeAsJupyterUser()
	started := time.Now().UTC().Format(time.RFC3339)
	authorized := func(r *http.Request) bool {
		return token != "" && (r.Header.Get("Authorization") == "token "+token || r.URL.Query().Get("token") == token)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/status", func(w http.ResponseWriter, r *http.Request) {
		if !authorized(r) {
			http.Error(w, `{"message": "Forbidden"}`, http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"connections": 0, "kernels": 0, "last_activity": %q, "started": %q}`, started, started)
	})
	page := func(title string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if !authorized(r) {
				http.Error(w, "403 Forbidden", http.StatusForbidden)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Security-Policy", "frame-ancestors 'self'")
			fmt.Fprintf(w, "<!doctype html><html><head><title>%s</title></head><body><h1 id=\"standin\">%s</h1></body></html>", title, title)
		}
	}
	mux.HandleFunc("/lab", page("JupyterLab"))
	// As jupyter-server-proxy does in the image: the desktop is at
	// /neurodesktop/, and /neurodesktop redirects there.
	mux.HandleFunc("/neurodesktop/", page("Neurodesktop"))
	srv := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		fmt.Println("Shutting down on SIGTERM")
		_ = srv.Shutdown(context.Background())
	}()
	fmt.Printf("Jupyter Server is running at http://127.0.0.1:%s/lab\n", port)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

const jupyterUserFile = "/neurodesktop-storage/standin-jupyter-user.txt"

// writeAsJupyterUser runs this binary again as NB_UID:NB_GID to append a
// line to jupyterUserFile, and logs how that went.
func writeAsJupyterUser() {
	uid, err1 := strconv.Atoi(os.Getenv("NB_UID"))
	gid, err2 := strconv.Atoi(os.Getenv("NB_GID"))
	if err1 != nil || err2 != nil || os.Getuid() != 0 {
		return
	}
	cmd := exec.Command("/proc/self/exe")
	cmd.Args = []string{"as-jupyter-user"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}}
	out, err := cmd.CombinedOutput()
	fmt.Printf("the Jupyter user %d:%d wrote to the data folder: %v %s\n", uid, gid, err, out)
}

func appendLine(path string) int {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err == nil {
		_, err = fmt.Fprintf(f, "uid %d\n", os.Getuid())
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		fmt.Println(err)
		return 1
	}
	return 0
}

// stat supports what the app runs: stat -c %u:%g PATH.
func stat(args []string) int {
	if len(args) != 3 || args[0] != "-c" || args[1] != "%u:%g" {
		os.Stderr.WriteString("standin stat: only -c %u:%g PATH\n")
		return 2
	}
	fi, err := os.Stat(args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	st := fi.Sys().(*syscall.Stat_t)
	fmt.Printf("%d:%d\n", st.Uid, st.Gid)
	return 0
}

// chown supports what the app runs: chown -R UID:GID PATH.
func chown(args []string) int {
	if len(args) != 3 || args[0] != "-R" {
		fmt.Fprintln(os.Stderr, "standin chown: only -R UID:GID PATH")
		return 2
	}
	u, g, _ := strings.Cut(args[1], ":")
	uid, err1 := strconv.Atoi(u)
	gid, err2 := strconv.Atoi(g)
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "standin chown: bad owner", args[1])
		return 2
	}
	err := filepath.Walk(args[2], func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
