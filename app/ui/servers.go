package ui

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/webview"
)

// Remote servers the person signs in to (Neurodesk Play, a university's
// JupyterHub) keep their sign-in in the web view's cookies, which the app
// keeps on disk where the web view would not (app/webview.CookieKeeper).
// "Forget sign-in" takes them away again.

// ForgetServer forgets what the window keeps of the server at address
// (its sign-in, its pages' storage) and says what went.
func (s *Service) ForgetServer(address string) (string, error) {
	if err := s.fromLauncher(); err != nil {
		return "", err
	}
	u, err := url.Parse(strings.TrimSpace(address))
	if err != nil || u.Hostname() == "" {
		return "", &problem.Error{Code: problem.InvalidSettings, Message: fmt.Sprintf("%q is not a server's address", address)}
	}
	sites, err := s.runtime().Forget(u.Hostname())
	if err != nil {
		return "", &problem.Error{Code: problem.Internal, Message: "Could not forget " + u.Hostname() + "'s sign-in", Err: err}
	}
	slog.Info("forgot a server's data", "host", u.Hostname(), "sites", sites)
	return forgotLine(u.Hostname(), sites), nil
}

func forgotLine(host string, sites []string) string {
	switch {
	case slices.Contains(sites, webview.AllSites):
		return "Forgot every server's sign-in (this system's web view keeps them together): " + host + " asks again next time."
	case len(sites) == 0:
		return "Nothing was kept for " + host + "."
	case len(sites) == 1 && sites[0] == host:
		return "Forgot " + host + "'s sign-in: it asks again next time."
	}
	return "Forgot the sign-in kept for " + strings.Join(sites, ", ") + " (every server there): " + host + " asks again next time."
}

// cookieFile is where the window's cookies are kept, in the app's own
// folder (readable by this user only).
func (s *Service) cookieFile() string {
	dir := filepath.Join(s.cfg.Paths.StateDir, "webview")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		slog.Warn("the web view's folder", "error", err)
	}
	return filepath.Join(dir, "cookies.sqlite")
}
