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
	if err := probe(ctx, client, base, token); err != nil {
		if problem.CodeOf(err) == problem.NotReady {
			return Info{}, &problem.Error{Code: problem.RemoteUnreachable, Message: "The remote Neurodesktop refused the token", Remedy: "Check the token and try again."}
		}
		return Info{}, &problem.Error{Code: problem.RemoteUnreachable, Message: fmt.Sprintf("Could not reach Neurodesktop at %s", base),
			Remedy: "Check the address, that the server is running, and your network or VPN.", Err: err}
	}
	return Info{BaseURL: base, Token: token, Remote: true}, nil
}
