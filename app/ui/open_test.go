package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/session"
	"github.com/neurodesk/neurodeskapp/app/settings"
	"github.com/neurodesk/neurodeskapp/app/webview"
	"github.com/neurodesk/neurodeskapp/internal/fakeengine"
)

func TestLabPath(t *testing.T) {
	data, work := filepath.FromSlash("/home/ana/neurodesktop-storage"), filepath.FromSlash("/home/ana/study")
	for _, c := range []struct {
		r    openRequest
		want string
		ok   bool
	}{
		{openRequest{Folder: work, File: "a b.ipynb"}, "data/a b.ipynb", true},
		{openRequest{Folder: filepath.Join(work, "sub")}, "data/sub", true},
		{openRequest{Folder: work}, "data", true},
		{openRequest{Folder: filepath.Join(data, "p1"), File: "x.ipynb"}, "neurodesktop-storage/p1/x.ipynb", true},
		{openRequest{Folder: filepath.FromSlash("/home/ana/studyX"), File: "x.ipynb"}, "", false},
		{openRequest{Folder: filepath.FromSlash("/home/ana"), File: "x.ipynb"}, "", false},
	} {
		got, ok := labPath(c.r, data, work)
		if got != c.want || ok != c.ok {
			t.Errorf("labPath(%+v) = %q, %v; want %q, %v", c.r, got, ok, c.want, c.ok)
		}
	}
}

func notebookIn(t *testing.T, dir, name string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(`{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fakeRuntime) lastNavigation() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.navigated) == 0 {
		return ""
	}
	return f.navigated[len(f.navigated)-1]
}

// TestOpenFromTheSystem: a notebook handed over by the system starts a
// session with its folder at /data (the settings stay as they were), and
// JupyterLab opens it, once the person agrees to that folder's mount (asked
// once per folder); one in the data folder opens in the running session;
// one elsewhere asks before the session restarts with its folder.
func TestOpenFromTheSystem(t *testing.T) {
	s, rt, f := withEngine(t, false)
	home := s.cfg.Home
	nb := notebookIn(t, filepath.Join(home, "Studie 1"), "Analyse ü.ipynb")

	// Asked first; Cancel starts nothing.
	s.launched([]string{"--restart-after-update", nb})
	if len(rt.asked) != 1 || !strings.Contains(rt.asked[0].Message, filepath.Dir(nb)) || !strings.Contains(rt.asked[0].Detail, "change and delete everything") {
		t.Fatalf("asked %+v", rt.asked)
	}
	if s.snapshot().Opening != nil || s.sessionState() != "" || len(f.Specs) != 0 {
		t.Fatal("a folder the person did not agree to was mounted")
	}
	rt.answers = []webview.Answer{{Button: 0}}
	s.launched([]string{"--restart-after-update", nb})
	eventually(t, "a ready session", func() bool { return s.sessionState() == session.StateReady })
	if o := s.snapshot().Opening; o == nil || o.Name != "Analyse ü.ipynb" || !o.Mounted {
		t.Errorf("the launcher does not say what opens: %+v", o)
	}
	var spec engine.ContainerSpec
	f.Mu.Lock()
	for _, sp := range f.Specs {
		spec = sp
	}
	f.Mu.Unlock()
	if !hasMount(spec, filepath.Dir(nb), "/data") {
		t.Errorf("the notebook's folder is not at /data: %+v", spec.Mounts)
	}
	if s.snapshot().Settings.WorkFolder != "" {
		t.Error("opening a notebook changed the settings' working folder")
	}
	url, err := s.OpenSession() // what the launcher does once the session is ready
	if err != nil || !strings.Contains(url, "/lab/tree/data/Analyse%20%C3%BC.ipynb?token=") {
		t.Errorf("OpenSession = %q, %v; want the notebook", url, err)
	}
	if s.snapshot().Opening != nil {
		t.Error("the request stays after JupyterLab opened it")
	}
	if u, _ := s.OpenSession(); !strings.Contains(u, "/lab?token=") {
		t.Errorf("a later OpenSession = %q, want JupyterLab", u)
	}

	// In the data folder: no restart, the window goes there.
	stored := notebookIn(t, filepath.Join(s.snapshot().Settings.DataFolder, "p1"), "x.ipynb")
	s.launched([]string{stored})
	if u := rt.lastNavigation(); !strings.Contains(u, "/lab/tree/neurodesktop-storage/p1/x.ipynb?token=") {
		t.Errorf("a notebook in the data folder: went to %q", u)
	}
	if len(rt.asked) != 2 {
		t.Errorf("asked %+v", rt.asked)
	}
	rt.asked = nil

	// Elsewhere: the person is asked; Cancel changes nothing.
	other := notebookIn(t, filepath.Join(home, "other"), "y.ipynb")
	creates := func() int {
		n := 0
		for _, c := range f.Calls {
			if strings.HasPrefix(c, "create ") {
				n++
			}
		}
		return n
	}
	before := creates()
	s.launched([]string{other})
	if len(rt.asked) != 1 || !strings.Contains(rt.asked[0].Message, "Restart Neurodesktop to open y.ipynb") || !strings.Contains(rt.asked[0].Detail, filepath.Dir(nb)) {
		t.Fatalf("asked %+v", rt.asked)
	}
	if creates() != before || s.sessionState() != session.StateReady {
		t.Error("a cancelled restart restarted")
	}
	rt.answers = []webview.Answer{{Button: 0}}
	s.launched([]string{other})
	eventually(t, "a session with the other folder", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.session != nil && s.session.WorkFolder == filepath.Dir(other)
	})
	if u, _ := s.OpenSession(); !strings.Contains(u, "/lab/tree/data/y.ipynb?token=") {
		t.Errorf("after the restart OpenSession = %q", u)
	}

	// A folder agreed to before is not asked about again.
	rt.asked = nil
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	s.launched([]string{nb})
	eventually(t, "a session for the folder agreed to", func() bool { return s.sessionState() == session.StateReady })
	if len(rt.asked) != 0 {
		t.Errorf("asked again: %+v", rt.asked)
	}

	// What does not exist is said, and nothing starts.
	s.launched([]string{filepath.Join(home, "gone.ipynb")})
	if n := rt.notices; len(n) == 0 || !strings.Contains(n[len(n)-1], "gone.ipynb") {
		t.Errorf("notices %q", n)
	}
}

// TestOpenWaitsForTheEngine: a launch with a notebook before the engine
// answers starts once it does; "Don't open" forgets it.
func TestOpenWaitsForTheEngine(t *testing.T) {
	s, rt := newService(t)
	nb := notebookIn(t, filepath.Join(s.cfg.Home, "w"), "n.ipynb")
	rt.answers = []webview.Answer{{Button: 0}} // its folder may be mounted
	s.launched([]string{nb})
	if s.snapshot().Opening == nil || s.sessionState() != "" {
		t.Fatalf("before the engine: %+v, %q", s.snapshot().Opening, s.sessionState())
	}
	f := fakeengine.New()
	f.Images[testImage] = true
	f.OnStart = func(c engine.Container) { fakeengine.ServeJupyter(t, c) }
	s.cfg.Connect = func(context.Context) (Engine, []engine.Attempt, error) { return f, nil, nil }
	s.snap.Settings.Channel, s.snap.Settings.CustomImage = settings.ChannelCustom, testImage
	s.connect(context.Background())
	eventually(t, "the session the notebook asked for", func() bool { return s.sessionState() == session.StateReady })

	if err := s.ForgetOpen(); err != nil || s.snapshot().Opening != nil {
		t.Errorf("Don't open: %v, %+v", err, s.snapshot().Opening)
	}
	if u, _ := s.OpenSession(); !strings.Contains(u, "/lab?token=") {
		t.Errorf("after Don't open, OpenSession = %q", u)
	}
}

// TestDropsOnlyOnTheLauncher: a drop onto a session page is the page's
// (JupyterLab uploads it); onto the launcher it opens.
func TestDropsOnlyOnTheLauncher(t *testing.T) {
	s, rt, _ := withEngine(t, false)
	nb := notebookIn(t, filepath.Join(s.cfg.Home, "w"), "n.ipynb")
	s.mu.Lock()
	s.onLauncher = false
	s.mu.Unlock()
	s.dropped([]string{nb})
	if s.snapshot().Opening != nil || s.sessionState() != "" {
		t.Error("a drop onto a session page opened")
	}
	s.mu.Lock()
	s.onLauncher = true
	s.mu.Unlock()
	rt.answers = []webview.Answer{{Button: 0}} // its folder may be mounted
	s.dropped([]string{nb})
	eventually(t, "a session for the drop", func() bool { return s.sessionState() == session.StateReady })
}

func hasMount(spec engine.ContainerSpec, source, target string) bool {
	for _, m := range spec.Mounts {
		if m.Source == source && m.Target == target {
			return true
		}
	}
	return false
}
