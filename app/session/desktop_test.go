package session

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The lists images give, as jupyter-server-proxy's servers-info reports
// them (neurodesktop's jupyter_notebook_config.py.template).
const (
	list202609 = `{"server_processes":[
	  {"name":"neurodesktop-rdp","launcher_entry":{"enabled":true,"title":"Neurodesktop RDP","path_info":"neurodesktop-rdp","category":"Neurodesk"},"new_browser_tab":true},
	  {"name":"neurodesktop-vnc","launcher_entry":{"enabled":true,"title":"Neurodesktop VNC","path_info":"neurodesktop-vnc","category":"Neurodesk"},"new_browser_tab":true},
	  {"name":"neurodesktop","launcher_entry":{"enabled":false,"title":"Neurodesktop","path_info":"neurodesktop","category":"Neurodesk"},"new_browser_tab":true},
	  {"name":"vscode","launcher_entry":{"enabled":true,"title":"VS Code","path_info":"vscode","category":"Neurodesk"},"new_browser_tab":true}]}`
	// Unprivileged under Apptainer the image hides the RDP tile.
	listApptainer = `{"server_processes":[
	  {"name":"neurodesktop-rdp","launcher_entry":{"enabled":false,"title":"Neurodesktop RDP","path_info":"neurodesktop-rdp"}},
	  {"name":"neurodesktop-vnc","launcher_entry":{"enabled":true,"title":"Neurodesktop VNC","path_info":"neurodesktop-vnc"}},
	  {"name":"neurodesktop","launcher_entry":{"enabled":false,"title":"Neurodesktop","path_info":"neurodesktop"}}]}`
	listBefore202605 = `{"server_processes":[{"name":"neurodesktop","launcher_entry":{"enabled":true,"title":"Neurodesktop","path_info":"neurodesktop/"}}]}`
)

func TestFindDesktop(t *testing.T) {
	token := "t0ken"
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		want    Desktop
		wantErr bool
	}{
		{"2026-09: RDP, as the tile", 200, list202609, Desktop{Name: "neurodesktop-rdp", Title: "Neurodesktop RDP", Path: "/neurodesktop-rdp/"}, false},
		{"unprivileged: VNC", 200, listApptainer, Desktop{Name: "neurodesktop-vnc", Title: "Neurodesktop VNC", Path: "/neurodesktop-vnc/"}, false},
		{"before 2026-05: the historical route", 200, listBefore202605, HistoricalDesktop, false},
		{"no jupyter-server-proxy", 404, "", HistoricalDesktop, false},
		{"a path that leaves the base URL is not followed", 200, `{"server_processes":[{"name":"neurodesktop-vnc","launcher_entry":{"enabled":true,"path_info":"../../etc"}}]}`,
			Desktop{Name: "neurodesktop-vnc", Path: "/neurodesktop-vnc/"}, false},
		{"the token refused: Jupyter's login redirect", 302, "", HistoricalDesktop, true},
		{"not JSON", 200, "<html>", HistoricalDesktop, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/server-proxy/servers-info" || r.Header.Get("Authorization") != "token "+token {
					t.Errorf("asked %s with %q", r.URL, r.Header.Get("Authorization"))
				}
				if tc.status == 302 {
					http.Redirect(w, r, "/login?next=%2Fserver-proxy%2Fservers-info", http.StatusFound)
					return
				}
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			got, err := FindDesktop(context.Background(), srv.Client(), Info{BaseURL: srv.URL, Token: token})
			if got != tc.want || (err != nil) != tc.wantErr {
				t.Errorf("got %+v, %v; want %+v (error: %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
	// A session that does not answer is an error, and the historical route.
	if got, err := FindDesktop(context.Background(), http.DefaultClient, Info{BaseURL: "http://127.0.0.1:1", Token: token}); err == nil || got != HistoricalDesktop {
		t.Errorf("no answer: %+v %v", got, err)
	}
	i := Info{BaseURL: "http://127.0.0.1:49200", Token: token}
	if u := i.DesktopURL(Desktop{Path: "/neurodesktop-vnc/"}); u != "http://127.0.0.1:49200/neurodesktop-vnc/?token=t0ken" {
		t.Errorf("desktop URL %s", u)
	}
}
