package ui

import (
	"slices"
	"strings"
	"testing"
)

const launcherURI = "wails://wails/"

// A page may go anywhere but to the launcher and to files of this
// computer; the app goes back to the launcher through about:blank, and
// only that navigation is let through.
func TestOnlyTheAppOpensTheLauncher(t *testing.T) {
	s, rt := newService(t)
	if !s.mayNavigate(launcherURI, "") {
		t.Fatal("the window's first page, the launcher, was refused")
	}
	s.pageChanged(launcherURI)
	lab := "http://127.0.0.1:49200/lab?token=t"
	for _, tt := range []struct {
		to, from string
		want     bool
	}{
		{lab, launcherURI, true},                   // Start
		{"http://127.0.0.1:49200/tree", lab, true}, // the page's own links
		{"https://example.org/", lab, true},
		{launcherURI, launcherURI, true}, // the launcher reloads itself
		{launcherURI + "#x", lab, false}, // a page opens the launcher
		{"wails://wails/index.html", "about:blank", false},
		{"file:///home/ana/Studie/a.ipynb", launcherURI, false}, // a file dropped beside a drop zone
		{"FILE:///etc/passwd", lab, false},
	} {
		if got := s.mayNavigate(tt.to, tt.from); got != tt.want {
			t.Errorf("navigation from %q to %q allowed %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}

	s.pageChanged(lab)
	s.backToLauncher()
	if !slices.Equal(rt.navigated, []string{"about:blank"}) || rt.count(&rt.launcher) != 0 {
		t.Fatalf("back to the launcher went to %q (Wails' reload %d times), want about:blank first", rt.navigated, rt.launcher)
	}
	if !s.mayNavigate("about:blank", lab) {
		t.Fatal("the step through about:blank was refused")
	}
	s.pageChanged("about:blank")
	if !slices.Equal(rt.navigated, []string{"about:blank", launcherURI}) {
		t.Fatalf("after about:blank the window went to %q, want the launcher", rt.navigated)
	}
	if !s.mayNavigate(launcherURI, "about:blank") {
		t.Fatal("the app's own way back to the launcher was refused")
	}
	if s.mayNavigate(launcherURI, "about:blank") {
		t.Error("one permit to open the launcher let two navigations through")
	}
}

// In production builds a bound method does nothing while the window shows
// another page: a page cannot start, stop or read the app.
func TestBindingsRefuseWhileAPageIsShown(t *testing.T) {
	s, rt := newService(t)
	s.guardCalls = true
	s.pageChanged(launcherURI)
	if _, err := s.State(); err != nil {
		t.Fatalf("the launcher's call was refused: %v", err)
	}
	s.pageChanged("http://127.0.0.1:49200/lab")
	if _, err := s.State(); err == nil {
		t.Error("State answered a page that is not the launcher")
	}
	if err := s.Start(); err == nil {
		t.Error("Start acted for a page that is not the launcher")
	}
	if err := s.OpenInBrowser(); err == nil || len(rt.browser) != 0 {
		t.Errorf("OpenInBrowser acted for a page: %v %v", err, rt.browser)
	}
	if _, err := s.Diagnostics(); err == nil {
		t.Error("Diagnostics answered a page")
	}
	// The app's own menu still acts there (with no session, it says so).
	if err := s.openInBrowser(); err != nil && strings.Contains(err.Error(), "Only the launcher") {
		t.Errorf("the menu's Open in System Browser was refused: %v", err)
	}
}
