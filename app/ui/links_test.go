package ui

import "testing"

func TestRouteOf(t *testing.T) {
	const local = "http://127.0.0.1:49200"
	const remote = "https://hub.example.org/user/ana"
	tests := []struct {
		target, session string
		want            route
	}{
		{"http://127.0.0.1:49200/neurodesktop", local, routeInside},
		{"http://127.0.0.1:49200/lab/tree/x.ipynb?reset", local, routeInside},
		{"http://localhost:49200/neurodesktop", local, routeInside},
		{"http://127.0.0.1:49201/neurodesktop", local, routeBrowser}, // another port is another server
		{"https://127.0.0.1:49200/neurodesktop", local, routeBrowser},
		{"https://neurodesk.org/docs/", local, routeBrowser},
		{"http://example.org/x", local, routeBrowser},
		{"https://neurodesk.org/docs/", "", routeBrowser},
		{"http://127.0.0.1:49200/neurodesktop", "", routeBrowser}, // no session: nothing is inside
		{"https://hub.example.org/user/ana/neurodesktop", remote, routeInside},
		{"https://hub.example.org/user/ana", remote, routeInside},
		{"https://hub.example.org/user/anatoly/lab", remote, routeBrowser}, // not under the session's path
		{"https://hub.example.org/hub/home", remote, routeBrowser},
		{"javascript:alert(1)", local, routeRefuse},
		{"file:///etc/passwd", local, routeRefuse},
		{"about:blank", local, routeRefuse},
		{"data:text/html,<script>1</script>", local, routeRefuse},
		{"vscode://open?x", local, routeRefuse},
		{"http://user:pw@127.0.0.1:49200/neurodesktop", local, routeRefuse},
		{"", local, routeRefuse},
		{"::", local, routeRefuse},
	}
	for _, tt := range tests {
		if got := routeOf(tt.target, tt.session); got != tt.want {
			t.Errorf("routeOf(%q, %q) = %v, want %v", tt.target, tt.session, got, tt.want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:1/lab?token=secret#x": "http://127.0.0.1:1/lab",
		"javascript:alert(document.cookie)":     "javascript:…",
		"http://u:p@h/x":                        "http://h/x",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
