package integration

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// hub is a JupyterHub as a person meets it, on loopback: its first page
// sends a stranger to a login form; the form's POST sets a session cookie
// (with an expiry, as JupyterHub's) and sends them on to their server,
// which only a signed-in person reaches. /basic/ asks for HTTP Basic auth
// instead. It records what it served the window, as "METHOD PATH [signed in]".
type hub struct {
	srv *httptest.Server

	mu       sync.Mutex
	sessions map[string]bool
	log      []string
}

func newHub(t *testing.T) *hub {
	h := &hub{sessions: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.record(r)
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		if h.signedIn(r) {
			http.Redirect(w, r, "/user/ana/lab", http.StatusFound)
			return
		}
		http.Redirect(w, r, "/hub/login?next="+url.QueryEscape("/user/ana/lab"), http.StatusFound)
	})
	mux.HandleFunc("/hub/login", func(w http.ResponseWriter, r *http.Request) {
		h.record(r)
		if r.Method == http.MethodPost {
			r.ParseForm()
			if r.PostForm.Get("username") != "ana" || r.PostForm.Get("password") != "s3cret" {
				http.Error(w, "Invalid username or password", http.StatusForbidden)
				return
			}
			b := make([]byte, 16)
			rand.Read(b)
			id := hex.EncodeToString(b)
			h.mu.Lock()
			h.sessions[id] = true
			h.mu.Unlock()
			http.SetCookie(w, &http.Cookie{Name: "hub-session", Value: id, Path: "/", HttpOnly: true, MaxAge: 3600})
			http.Redirect(w, r, r.URL.Query().Get("next"), http.StatusFound)
			return
		}
		fmt.Fprintf(w, `<!doctype html><title>Sign in — Test Hub</title>
<form method="post" action="/hub/login?next=%s">
<input name="username" autofocus> <input name="password" type="password"> <button type="submit">Sign in</button>
</form>`, url.QueryEscape(r.URL.Query().Get("next")))
	})
	mux.HandleFunc("/user/ana/lab", func(w http.ResponseWriter, r *http.Request) {
		h.record(r)
		if !h.signedIn(r) {
			http.Redirect(w, r, "/hub/login?next="+url.QueryEscape(r.URL.Path), http.StatusFound)
			return
		}
		fmt.Fprint(w, `<!doctype html><title>JupyterLab</title><p>Ana's server</p>`)
	})
	mux.HandleFunc("/basic/", func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		h.recordAs(r, ok && u == "ana" && p == "s3cret")
		if !ok || u != "ana" || p != "s3cret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="Test Hub"`)
			http.Error(w, "sign in", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `<!doctype html><title>Basic Lab</title><p>signed in</p>`)
	})
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hub) signedIn(r *http.Request) bool {
	c, err := r.Cookie("hub-session")
	h.mu.Lock()
	defer h.mu.Unlock()
	return err == nil && h.sessions[c.Value]
}

func (h *hub) record(r *http.Request) { h.recordAs(r, h.signedIn(r)) }

// recordAs records what the window asked for; the app's own check that
// the server answers (Go's client, without the window's cookies) is not.
func (h *hub) recordAs(r *http.Request, in bool) {
	if strings.HasPrefix(r.UserAgent(), "Go-http-client") {
		return
	}
	line := r.Method + " " + r.URL.Path
	if in {
		line += " signed in"
	}
	h.mu.Lock()
	h.log = append(h.log, line)
	h.mu.Unlock()
}

// served is what the hub served from the n-th request on.
func (h *hub) served(n int) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.log[min(n, len(h.log)):])
}

func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.log)
}

// waitServed waits until the hub served line (from the n-th request on).
func (h *hub) waitServed(a *appWindow, n int, line string) {
	a.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if slices.Contains(h.served(n), line) {
			return
		}
	}
	a.fatalf("the hub did not serve %q; it served %q", line, h.served(n))
}

// TestWindowSignsInToAHub: in the production window, a person picks a
// server from the launcher's list with the keyboard, signs in on the hub's
// own page and reaches their server; after the app restarts the same
// server is reached without signing in again (the cookie was kept); once
// "Forget sign-in" is pressed the hub asks again. A server that asks for
// HTTP Basic auth is answered from the web view's own dialog.
func TestWindowSignsInToAHub(t *testing.T) {
	w := newWorld(t)
	h := newHub(t)
	w.writeSettings(w.baseSettings() + fmt.Sprintf(`
[[remote_servers]]
name = "Test Hub"
url = "%s/"

[[remote_servers]]
name = "Basic Hub"
url = "%s/basic/"
`, h.srv.URL, h.srv.URL))

	// The launcher: Start has the focus; Tab, the remote card; Enter opens
	// it; Tab, the first server; Enter connects.
	pick := func(a *appWindow, keys ...string) {
		a.focus(a.id)
		time.Sleep(time.Second) // the launcher paints and finds the engine
		a.keys(append([]string{"Tab", "Return", "Tab"}, keys...)...)
	}
	a := w.startWindow()
	n := h.count()
	pick(a, "Return")
	h.waitServed(a, n, "GET /hub/login")
	a.waitTitle("Sign in — Test Hub — Neurodesk", 20*time.Second)
	time.Sleep(500 * time.Millisecond)
	signIn(a)
	h.waitServed(a, n, "GET /user/ana/lab signed in")
	a.waitTitle("JupyterLab — Neurodesk", 20*time.Second)

	// Quit and start again: the hub lets the person straight in.
	a.close()
	b := w.startWindow()
	n = h.count()
	pick(b, "Return")
	h.waitServed(b, n, "GET /user/ana/lab signed in")
	if s := h.served(n); slices.Contains(s, "GET /hub/login") {
		t.Errorf("after a restart the hub asked to sign in again: %q", s)
	}
	b.waitTitle("JupyterLab — Neurodesk", 20*time.Second)

	// Forget sign-in (beside the server), then connect: the hub asks again.
	b.close()
	c := w.startWindow()
	n = h.count()
	pick(c, "Tab", "Return")
	time.Sleep(1500 * time.Millisecond) // the web view forgets
	c.keys("shift+Tab", "Return")
	h.waitServed(c, n, "GET /hub/login")
	if s := h.served(n); slices.ContainsFunc(s, func(l string) bool { return strings.HasSuffix(l, "signed in") }) {
		t.Errorf("after Forget sign-in the hub still knew the person: %q", s)
	}
	if !strings.Contains(c.w.appLog(), "forgot a server's data") {
		t.Errorf("the app did not forget the hub's data:\n%s", tail(c.w.appLog(), 10))
	}

	// HTTP Basic auth: the web view asks, in the window.
	c.close()
	d := w.startWindow()
	n = h.count()
	pick(d, "Tab", "Tab", "Return") // the second server
	h.waitServed(d, n, "GET /basic/")
	time.Sleep(2 * time.Second) // the sign-in dialog
	d.shot("window-basic-auth")
	signIn(d)
	h.waitServed(d, n, "GET /basic/ signed in")
	d.waitTitle("Basic Lab — Neurodesk", 20*time.Second)
}

// signIn types Ana's user name, Tab, her password and Enter, into a
// login form or a sign-in dialog that has the focus.
func signIn(a *appWindow) {
	a.typeText("ana")
	a.keys("Tab")
	a.typeText("s3cret")
	a.keys("Return")
}
