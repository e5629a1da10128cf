package session

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/settings"
)

// ConnectRemote checks an existing Neurodesktop (a server, a cluster, a
// colleague's machine) by its URL and token; no engine is involved.
// Without a token it only checks that the server answers: a hub's login
// page takes the person in, in the window.
// Plain http to another machine sends the token and all work unencrypted:
// it is refused (code InsecureRemote) unless plainHTTP says the person
// agreed, and the token is not sent before that.
func ConnectRemote(ctx context.Context, client *http.Client, rawURL, token string, plainHTTP bool) (Info, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Info{}, &problem.Error{Code: problem.InvalidSettings, Message: fmt.Sprintf("%q is not a Neurodesktop address", rawURL),
			Remedy: "Enter the address as shown by Jupyter, such as https://server.example.org:8888"}
	}
	if u.Scheme == "http" && !settings.IsLoopback(u.Hostname()) && !plainHTTP {
		return Info{}, &problem.Error{Code: problem.InsecureRemote,
			Message: fmt.Sprintf("%s is not encrypted: the token and everything you do would cross the network in the clear", u.Host),
			Remedy:  "Use the server's https address, or an SSH tunnel to it; connect over http only on a network you trust."}
	}
	if t := u.Query().Get("token"); token == "" && t != "" {
		token = t
	}
	base := u.Scheme + "://" + u.Host + strings.TrimSuffix(strings.TrimSuffix(u.Path, "/lab"), "/")
	if token == "" {
		// A hub (Neurodesk Play, a university's JupyterHub) or a server
		// with a password: the person logs in on its own page, in the window.
		if err := answers(ctx, client, base+"/"); err != nil {
			return Info{}, &problem.Error{Code: problem.RemoteUnreachable, Message: fmt.Sprintf("Could not reach %s", base),
				Remedy: "Check the address, that the server is running, and your network or VPN.", Err: err}
		}
		return Info{BaseURL: base, Remote: true}, nil
	}
	if err := probe(ctx, client, base, token); err != nil {
		if problem.CodeOf(err) == problem.NotReady {
			return Info{}, &problem.Error{Code: problem.RemoteUnreachable, Message: "The remote Neurodesktop refused the token", Remedy: "Check the token and try again."}
		}
		return Info{}, &problem.Error{Code: problem.RemoteUnreachable, Message: fmt.Sprintf("Could not reach Neurodesktop at %s", base),
			Remedy: "Check the address, that the server is running, and your network or VPN.", Err: err}
	}
	return Info{BaseURL: base, Token: token, Remote: true}, nil
}

// answers says whether a web server answers at url (after its redirects,
// a login page say) with anything but a server error.
func answers(ctx context.Context, client *http.Client, url string) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("%s answers %s", url, resp.Status)
	}
	return nil
}
