package platform

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/neurodesk/neurodeskapp/app/atomicfile"
)

// OpenURL opens u in the system browser. The URL is passed as one argument,
// never through a shell, so it shows in the process list: for an address
// that carries a secret use OpenPrivately.
func OpenURL(ctx context.Context, u string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.CommandContext(ctx, "open", u)
	case "windows":
		cmd = exec.CommandContext(ctx, "rundll32", "url.dll,FileProtocolHandler", u)
	default:
		cmd = exec.CommandContext(ctx, "xdg-open", u)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("open the system browser: %w", err)
	}
	go cmd.Wait() //nolint:errcheck // the browser outlives us; only reap the helper
	return nil
}

// OpenPrivately opens target in the system browser without putting it on
// any command line (where every local user could read its token): it
// writes a page readable only by us that redirects there, and opens that.
// This is how Jupyter itself opens the browser.
func OpenPrivately(ctx context.Context, dir, target string) error {
	page, err := RedirectPage(dir, target)
	if err != nil {
		return err
	}
	return OpenURL(ctx, page)
}

// RedirectPage writes dir/open-in-browser.html (mode 0600) that sends the
// browser to target, and returns the page's file:// address.
func RedirectPage(dir, target string) (string, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("open in the browser: not a web address")
	}
	js, _ := json.Marshal(target)
	attr := html.EscapeString(target)
	page := "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Opening Neurodesktop…</title>\n" +
		"<meta http-equiv=\"refresh\" content=\"1;url=" + attr + "\"></head>\n" +
		"<body><p>Opening <a href=\"" + attr + "\">Neurodesktop</a>…</p>\n" +
		"<script>location.replace(" + string(js) + ");</script></body></html>\n"
	p := filepath.Join(dir, "open-in-browser.html")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("write the browser redirect: %w", err)
	}
	if err := atomicfile.Write(p, []byte(page), 0o600); err != nil {
		return "", fmt.Errorf("write the browser redirect: %w", err)
	}
	return FileURL(p), nil
}

// PathOfFileURL is the local path of a file:// address, as FileURL made
// it (file:///C:/x/y is C:\x\y).
func PathOfFileURL(u *url.URL) string {
	p := u.Path
	if len(p) > 2 && p[0] == '/' && p[2] == ':' {
		p = p[1:]
	}
	return filepath.FromSlash(p)
}

// FileURL is the file:// address of a local path, on every OS
// (C:\x\y becomes file:///C:/x/y).
func FileURL(p string) string {
	p = filepath.ToSlash(p)
	if len(p) > 0 && p[0] != '/' {
		p = "/" + p
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}
