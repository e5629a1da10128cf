package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
)

// Podman's Docker-compatible API differs where the SDK cannot follow: its
// /info does not say it is rootless, and at API 1.41 it takes a container's
// MAC address only in the network endpoint, which the SDK refuses to send
// below 1.44. These calls go to the same connection without the SDK.

// rawURL is path on the engine's API, for requests made without the SDK.
// Over a socket or SSH the transport dials the engine whatever the URL's
// host; over TCP the URL must name it.
func (e *Engine) rawURL(path string) string {
	base := "http://engine"
	if proto, addr, ok := strings.Cut(e.api.DaemonHost(), "://"); ok && proto == "tcp" {
		base = "http://" + addr
		if e.endpoint.TLSDir != "" {
			base = "https://" + addr
		}
	}
	return base + path
}

// libpodRootless asks Podman's own API whether it runs rootless. Any other
// engine answers 404, and false is the answer then.
func (e *Engine) libpodRootless(ctx context.Context) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.rawURL("/v4.0.0/libpod/info"), nil)
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

// podmanCreate is POST /containers/create with the endpoint settings the
// SDK would refuse to send.
func (e *Engine) podmanCreate(ctx context.Context, name string, cfg *container.Config, hc *container.HostConfig, nc *network.NetworkingConfig) (string, error) {
	body, err := json.Marshal(container.CreateRequest{Config: cfg, HostConfig: hc, NetworkingConfig: nc})
	if err != nil {
		return "", err
	}
	u := e.rawURL("/v" + e.api.ClientVersion() + "/containers/create?name=" + url.QueryEscape(name))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.api.HTTPClient().Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		ID      string `json:"Id"`
		Message string `json:"message"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out)
	switch {
	case resp.StatusCode == http.StatusConflict:
		return "", fmt.Errorf("%w: %s", ErrNameInUse, out.Message)
	case resp.StatusCode/100 != 2 || out.ID == "":
		return "", fmt.Errorf("engine answered %s: %s", resp.Status, out.Message)
	}
	return out.ID, nil
}
