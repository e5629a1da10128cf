package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"io"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"
)

// PullOptions tunes a pull. The zero value is usable.
type PullOptions struct {
	// OnProgress receives snapshots, at most one per Interval, plus the last.
	OnProgress func(PullProgress)
	// LayerSizes are compressed layer sizes by digest, if the registry told us.
	LayerSizes map[string]int64
	Interval   time.Duration // default 100ms: ~10 updates a second
	Attempts   int           // default 4
	Backoff    time.Duration // first retry delay, doubled each time; default 1s
	Now        func() time.Time
}

// ImagePresent reports whether ref is in the engine's image store.
func (e *Engine) ImagePresent(ctx context.Context, ref string) (bool, error) {
	_, err := e.api.ImageInspect(ctx, ref)
	if cerrdefs.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("inspect image %s: %w", ref, err)
	}
	return true, nil
}

// Pull pulls ref, retrying transient failures with backoff; layers the engine
// finished are kept, so a retry resumes. It never times out on its own: a
// multi-gigabyte image takes as long as it takes, and ctx cancels it.
func (e *Engine) Pull(ctx context.Context, ref string, o PullOptions) error {
	if o.Interval == 0 {
		o.Interval = 100 * time.Millisecond
	}
	if o.Attempts == 0 {
		o.Attempts = 4
	}
	if o.Backoff == 0 {
		o.Backoff = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	tr := NewTracker(ref, o.LayerSizes)
	delay := o.Backoff
	var err error
	for attempt := 1; ; attempt++ {
		err = e.pullOnce(ctx, ref, tr, o)
		if err == nil || ctx.Err() != nil || !transient(err) || attempt >= o.Attempts {
			break
		}
		tr.retries++
		if o.OnProgress != nil {
			o.OnProgress(tr.Snapshot())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay *= 2
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return classifyPull(ref, err)
	}
	return nil
}

func (e *Engine) pullOnce(ctx context.Context, ref string, tr *Tracker, o PullOptions) error {
	body, err := e.api.ImagePull(ctx, ref, image.PullOptions{})
	if err != nil {
		return err
	}
	defer body.Close()
	dec := json.NewDecoder(body)
	var last time.Time
	for {
		var m Message
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return fmt.Errorf("read pull stream: %w", err)
		}
		if msg := m.Err(); msg != "" {
			return errors.New(msg)
		}
		now := o.Now()
		changed := tr.Apply(m, now)
		if o.OnProgress != nil && (changed || now.Sub(last) >= o.Interval) {
			last = now
			o.OnProgress(tr.Snapshot())
		}
	}
	tr.Finish()
	if o.OnProgress != nil {
		o.OnProgress(tr.Snapshot())
	}
	return nil
}

// transient reports failures worth another try: the network, not the image.
func transient(err error) bool {
	s := strings.ToLower(err.Error())
	for _, t := range []string{"connection reset", "unexpected eof", "eof", "i/o timeout", "tls handshake timeout",
		"connection refused", "broken pipe", "502 bad gateway", "503 service unavailable", "504 gateway", "500 internal server error",
		"temporary failure", "read pull stream"} {
		if strings.Contains(s, t) {
			return true
		}
	}
	return false
}

func classifyPull(ref string, err error) error {
	s := strings.ToLower(err.Error())
	switch {
	case strings.Contains(s, "no space left on device"):
		return &problem.Error{Code: problem.DiskFull, Message: fmt.Sprintf("The engine ran out of disk space pulling %s", ref),
			Remedy: "Free disk space (docker system prune removes unused images), or give Docker Desktop a larger disk in its settings.", Err: err}
	case strings.Contains(s, "manifest unknown") || strings.Contains(s, "not found") || strings.Contains(s, "repository does not exist"):
		return &problem.Error{Code: problem.ImageNotFound, Message: fmt.Sprintf("The image %s does not exist", ref),
			Remedy: "Check the image and channel in Settings.", Err: err}
	case strings.Contains(s, "toomanyrequests") || strings.Contains(s, "rate limit"):
		return &problem.Error{Code: problem.RegistryUnreachable, Message: "The registry refused the pull: rate limit reached",
			Remedy: "Wait a while and retry, log in with docker login, or choose the mirror registry in Settings.", Err: err}
	case transient(err) || strings.Contains(s, "no such host") || strings.Contains(s, "dial tcp") || strings.Contains(s, "timeout"):
		return &problem.Error{Code: problem.RegistryUnreachable, Message: fmt.Sprintf("Could not reach the registry for %s", ref),
			Remedy: "Check your internet connection (and proxy settings of the engine), then retry.", Err: err}
	}
	return &problem.Error{Code: problem.EngineFailed, Message: fmt.Sprintf("Pulling %s failed", ref), Err: err}
}
