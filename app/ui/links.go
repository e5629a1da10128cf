package ui

import (
	"net"
	"net/url"
	"strings"
)

// route is where a page's request for a new window goes.
type route int

const (
	routeRefuse  route = iota // not a web address: javascript:, file:, custom schemes
	routeInside               // a page of the running session: inside the app
	routeBrowser              // any other web page: the system browser
)

// routeOf decides a new-window request for target. session is the running
// session's base address ("" when none): only its pages open inside the
// app, so no outside page ever runs in the app's window.
func routeOf(target, session string) route {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || u.User != nil {
		return routeRefuse
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return routeRefuse
	}
	if s, err := url.Parse(session); err == nil && session != "" && sameOrigin(u, s) && strings.HasPrefix(u.EscapedPath()+"/", strings.TrimSuffix(s.EscapedPath(), "/")+"/") {
		return routeInside
	}
	return routeBrowser
}

// sameOrigin compares scheme, host and port; localhost and 127.0.0.1 are
// the same machine (Jupyter prints either).
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && canonicalHost(a) == canonicalHost(b) && port(a) == port(b)
}

func canonicalHost(u *url.URL) string {
	h := strings.ToLower(u.Hostname())
	if h == "localhost" || h == "::1" {
		return "127.0.0.1"
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
		return "127.0.0.1"
	}
	return h
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// redactURL keeps what a log needs of an address: no query (tokens), no
// user info.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable address)"
	}
	if u.Opaque != "" {
		return u.Scheme + ":…"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
