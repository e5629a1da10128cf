package engine

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// libpodRootless asks Podman's own API whether it runs rootless: its
// Docker-compatible /info does not say (Podman 4.3 lists no "name=rootless").
// Any other engine answers 404, and false is the answer then.
func (e *Engine) libpodRootless(ctx context.Context) bool {
	// Over a socket or SSH the transport dials the engine whatever the
	// URL's host; over TCP the URL must name it.
	base := "http://podman"
	if proto, addr, ok := strings.Cut(e.api.DaemonHost(), "://"); ok && proto == "tcp" {
		base = "http://" + addr
		if e.endpoint.TLSDir != "" {
			base = "https://" + addr
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v4.0.0/libpod/info", nil)
	if err != nil {
		return false
	}
	resp, err := e.api.HTTPClient().Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	var info struct {
		Host struct {
			Security struct {
				Rootless bool `json:"rootless"`
			} `json:"security"`
		} `json:"host"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&info) != nil {
		return false
	}
	return info.Host.Security.Rootless
}
