package ui

import (
	"slices"
	"testing"

	"github.com/wailsapp/wails/v2/pkg/menu"
)

// TestMenuLeavesTheKeysToThePage: JupyterLab, its terminal and the
// desktop's programs need every Ctrl+letter, so the menu binds none but
// Quit; zoom keeps the browser's keys. The session's actions are all there.
func TestMenuLeavesTheKeysToThePage(t *testing.T) {
	s, _ := newService(t)
	var labels []string
	var walk func(m *menu.Menu)
	walk = func(m *menu.Menu) {
		for _, it := range m.Items {
			if it.SubMenu != nil {
				walk(it.SubMenu)
			}
			labels = append(labels, it.Label)
			if it.Accelerator == nil {
				continue
			}
			key := it.Accelerator.Key
			if !slices.Contains([]string{"q", "=", "-", "0"}, key) {
				t.Errorf("%q takes %v+%s from the page", it.Label, it.Accelerator.Modifiers, key)
			}
		}
	}
	walk(buildMenu(s))
	for _, want := range []string{"Back to Launcher", "Open JupyterLab", "Open the Linux Desktop", "Open in System Browser", "Stop Session…", "Zoom In", "Check for Updates"} {
		if !slices.Contains(labels, want) {
			t.Errorf("the menu lacks %q (has %q)", want, labels)
		}
	}
}

// TestRightClickMenuOnSessionPagesOnly: the web view's own menu (copy,
// paste, open link) is offered on session pages, never on the launcher.
func TestRightClickMenuOnSessionPagesOnly(t *testing.T) {
	s, _ := newService(t)
	h := s.hooks()
	h.PageChanged("wails://wails/")
	if h.ContextMenu("wails://wails/index.html") {
		t.Error("the launcher offers the web view's menu")
	}
	h.PageChanged("http://127.0.0.1:41234/lab?token=x")
	if !h.ContextMenu("http://127.0.0.1:41234/lab/tree/notes.ipynb") {
		t.Error("a session page has no right-click menu")
	}
}
