package session

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Desktop is the route of Neurodesktop's Linux desktop that a running
// session offers: the one JupyterLab's own launcher tile opens, so that
// the app never starts a second desktop stack beside the tile's.
type Desktop struct {
	Name  string `json:"name"`  // jupyter-server-proxy's server, such as neurodesktop-rdp
	Title string `json:"title"` // its launcher tile's title
	Path  string `json:"path"`  // under the server's base URL: /neurodesktop-rdp/
}

// HistoricalDesktop is the route images before 2026-05-19 served the
// desktop at; later ones keep it, hidden, for old links (always RDP).
var HistoricalDesktop = Desktop{Name: "neurodesktop", Title: "Neurodesktop", Path: "/neurodesktop/"}

// desktopServers are the image's desktop servers, in the order the app
// prefers them: RDP where the image lists it and its tile is shown (the
// image hides it where xrdp cannot start: unprivileged under Apptainer),
// else VNC.
var desktopServers = []string{"neurodesktop-rdp", "neurodesktop-vnc"}

// ProxyServer is one entry of jupyter-server-proxy's
// GET /server-proxy/servers-info (its api.py, ServersInfoHandler).
type ProxyServer struct {
	Name          string `json:"name"`
	LauncherEntry struct {
		Enabled  bool   `json:"enabled"`
		Title    string `json:"title"`
		PathInfo string `json:"path_info"`
	} `json:"launcher_entry"`
}

// ChooseDesktop picks the desktop from the servers a session lists.
func ChooseDesktop(servers []ProxyServer) Desktop {
	for _, want := range desktopServers {
		for _, s := range servers {
			if s.Name != want || !s.LauncherEntry.Enabled {
				continue
			}
			// path_info is relative to the base URL; the image gives it
			// without the slash its launcher adds (neurodesk-launcher).
			path := strings.Trim(s.LauncherEntry.PathInfo, "/")
			if path == "" || strings.Contains(path, "..") {
				path = s.Name
			}
			return Desktop{Name: s.Name, Title: s.LauncherEntry.Title, Path: "/" + path + "/"}
		}
	}
	return HistoricalDesktop
}

// maxServersInfo bounds the list (a few kilobytes in practice).
const maxServersInfo = 1 << 20

// FindDesktop asks the running session which desktop it offers. A
// session without jupyter-server-proxy's list (an image before 2026-05, or
// a server that is not Neurodesktop) gets the historical route; an error
// means the session could not be asked, and is worth asking again.
func FindDesktop(ctx context.Context, client *http.Client, i Info) (Desktop, error) {
	if i.Token == "" {
		return HistoricalDesktop, nil // a hub's session: signed in to in the window, not here
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, i.BaseURL+"/server-proxy/servers-info", nil)
	if err != nil {
		return HistoricalDesktop, fmt.Errorf("ask the session for its desktop: %w", err)
	}
	req.Header.Set("Authorization", "token "+i.Token)
	// Not followed: an unauthenticated answer is a redirect to the login page.
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		return HistoricalDesktop, fmt.Errorf("ask the session for its desktop: %w", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return HistoricalDesktop, nil
	case resp.StatusCode != http.StatusOK:
		return HistoricalDesktop, fmt.Errorf("ask the session for its desktop: %s", resp.Status)
	}
	var list struct {
		Servers []ProxyServer `json:"server_processes"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxServersInfo)).Decode(&list); err != nil {
		return HistoricalDesktop, fmt.Errorf("read the session's list of servers: %w", err)
	}
	return ChooseDesktop(list.Servers), nil
}
