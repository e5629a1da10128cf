package session

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/neurodesk/neurodeskapp/app/problem"
)

// requestTimeout bounds one status request: /api/status is cheap, and an
// engine's port proxy that accepts before Jupyter listens closes at once.
const requestTimeout = time.Second

// pageTimeout bounds JupyterLab's page. Its first render in a new home can
// take seconds on a slow disk or a busy machine; cut off at a second, the
// probe would start it again and again and wait for a lucky one.
const pageTimeout = 30 * time.Second

// pollInterval is quick at first, when a probe is a refused connection
// that costs nothing and a fast start should be seen at once, and slower
// once Jupyter is evidently taking its time (Neurodesktop's first start
// mounts tools for a while).
func pollInterval(waited time.Duration) time.Duration {
	switch {
	case waited < 3*time.Second:
		return 20 * time.Millisecond
	case waited < 15*time.Second:
		return 100 * time.Millisecond
	}
	return 250 * time.Millisecond
}

// probe asks Jupyter's /api/status with the token, then JupyterLab's page,
// which is what the person will see. It returns nil when both answer 200,
// a *problem.Error when Jupyter refuses the token (waiting longer will not
// help), and another error while either is not up yet.
func probe(ctx context.Context, client *http.Client, baseURL, token string) error {
	if err := get(ctx, client, baseURL+"/api/status", token, requestTimeout); err != nil {
		return err
	}
	return get(ctx, client, baseURL+"/lab", token, pageTimeout)
}

func get(ctx context.Context, client *http.Client, url, token string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("build status request: %w", err)
	}
	req.Header.Set("Authorization", "token "+token)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusForbidden, http.StatusUnauthorized:
		return &problem.Error{Code: problem.NotReady, Message: "JupyterLab refused the session token",
			Remedy: "Stop the session and start it again."}
	}
	return fmt.Errorf("jupyter %s: %s", req.URL.Path, resp.Status)
}

// waitReady polls until Jupyter answers, the token is refused, exited is
// closed (the container stopped), or ctx ends.
func waitReady(ctx context.Context, client *http.Client, baseURL, token string, exited <-chan struct{}) error {
	start := time.Now()
	for {
		err := probe(ctx, client, baseURL, token)
		if err == nil {
			return nil
		}
		if problem.CodeOf(err) == problem.NotReady {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-exited:
			return errExited
		case <-time.After(pollInterval(time.Since(start))):
		}
	}
}

var errExited = fmt.Errorf("the container stopped")
