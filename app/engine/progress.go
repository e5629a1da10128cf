package engine

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Phase is where one layer is in its pull.
type Phase string

const (
	PhaseWaiting     Phase = "waiting"
	PhaseDownloading Phase = "downloading"
	PhaseRetrying    Phase = "retrying"
	PhaseVerifying   Phase = "verifying"
	PhaseDownloaded  Phase = "downloaded"
	PhaseExtracting  Phase = "extracting"
	PhaseDone        Phase = "done"
	PhaseExists      Phase = "exists"
)

// LayerProgress is one layer's state. Current and Total are bytes of the
// current phase (download or extract); Total is 0 when the engine did not say.
type LayerProgress struct {
	ID      string `json:"id"`
	Phase   Phase  `json:"phase"`
	Current int64  `json:"current"`
	Total   int64  `json:"total"`
}

// PullProgress is a snapshot of a pull. Engines that send no byte totals
// (Podman, the containerd image store) leave TotalsKnown false: show
// LayersDone of LayersTotal then.
type PullProgress struct {
	Ref         string          `json:"ref"`
	Layers      []LayerProgress `json:"layers"`
	BytesDone   int64           `json:"bytes_done"`
	BytesTotal  int64           `json:"bytes_total"`
	TotalsKnown bool            `json:"totals_known"`
	LayersDone  int             `json:"layers_done"`
	LayersTotal int             `json:"layers_total"`
	BytesPerSec float64         `json:"bytes_per_sec"`
	ETASeconds  float64         `json:"eta_seconds"` // 0 when unknown
	Retries     int             `json:"retries"`
}

// Message is one line of the engine's pull stream.
type Message struct {
	ID             string `json:"id"`
	Status         string `json:"status"`
	ProgressDetail struct {
		Current int64 `json:"current"`
		Total   int64 `json:"total"`
	} `json:"progressDetail"`
	Error       string `json:"error"`
	ErrorDetail struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
}

// ParseMessage decodes one pull-stream line.
func ParseMessage(line []byte) (Message, error) {
	var m Message
	if err := json.Unmarshal(line, &m); err != nil {
		return Message{}, fmt.Errorf("parse pull message: %w", err)
	}
	return m, nil
}

// Err returns the failure a message carries, if any.
func (m Message) Err() string {
	if m.ErrorDetail.Message != "" {
		return m.ErrorDetail.Message
	}
	return m.Error
}

// phaseOf maps Docker's, Podman's and the containerd store's statuses.
func phaseOf(status string) (Phase, bool) {
	switch {
	case status == "Pulling fs layer" || status == "Waiting":
		return PhaseWaiting, true
	case status == "Downloading":
		return PhaseDownloading, true
	case strings.HasPrefix(status, "Retrying"):
		return PhaseRetrying, true
	case status == "Verifying Checksum":
		return PhaseVerifying, true
	case status == "Download complete":
		return PhaseDownloaded, true
	case status == "Extracting":
		return PhaseExtracting, true
	case status == "Pull complete" || status == "Done":
		return PhaseDone, true
	case status == "Already exists" || status == "Exists":
		return PhaseExists, true
	}
	return "", false
}

// speedWindow is how far back speed is averaged: long enough to smooth
// bursts, short enough to follow a changing connection.
const speedWindow = 5 * time.Second

type sample struct {
	at   time.Time
	done int64
}

// Tracker folds pull messages into a PullProgress. It is not safe for
// concurrent use; one pull owns one tracker.
type Tracker struct {
	ref     string
	sizes   map[string]int64 // compressed layer sizes from the registry, by short id
	order   []string
	layers  map[string]*layerState
	samples []sample
	retries int
}

type layerState struct {
	LayerProgress
	downloadTotal int64 // remembered once the download phase reported it
	downloaded    int64
	// unlisted: the registry's manifest does not name it. Podman reports the
	// config blob as a layer; it is left out once a listed layer is seen.
	unlisted bool
}

// NewTracker starts tracking a pull of ref. sizes maps layer digests to
// their compressed sizes when the registry told us (else nil): engines
// announce a layer's size only when its download starts, so without them
// the total would grow during the pull.
func NewTracker(ref string, sizes map[string]int64) *Tracker {
	short := map[string]int64{}
	for d, n := range sizes {
		short[shortID(d)] = n
	}
	return &Tracker{ref: ref, sizes: short, layers: map[string]*layerState{}}
}

// shortID is the 12-hex-digit id Docker shows for a layer digest.
func shortID(id string) string {
	_, hex, found := strings.Cut(id, ":")
	if !found {
		hex = id
	}
	if len(hex) > 12 {
		hex = hex[:12]
	}
	return hex
}

// Apply records one message observed at time now. It reports whether the
// message changed a layer's phase (worth sending at once).
func (t *Tracker) Apply(m Message, now time.Time) bool {
	phase, ok := phaseOf(m.Status)
	if !ok || m.ID == "" {
		return false
	}
	l := t.layers[m.ID]
	if l == nil {
		size, listed := t.sizes[shortID(m.ID)]
		l = &layerState{LayerProgress: LayerProgress{ID: m.ID}, downloadTotal: size, unlisted: len(t.sizes) > 0 && !listed}
		t.layers[m.ID] = l
		t.order = append(t.order, m.ID)
	}
	changed := l.Phase != phase
	if phase == PhaseRetrying && changed {
		t.retries++
	}
	l.Phase = phase
	cur, tot := max(m.ProgressDetail.Current, 0), max(m.ProgressDetail.Total, 0)
	if tot > 0 && cur > tot {
		cur = tot // some engines overshoot, or count in other units
	}
	switch phase {
	case PhaseDownloading:
		l.Current, l.Total = cur, tot
		if tot > 0 {
			l.downloadTotal = tot
		}
		l.downloaded = cur
	case PhaseExtracting:
		l.Current, l.Total = cur, tot
		l.downloaded = l.downloadTotal
	case PhaseVerifying, PhaseDownloaded, PhaseDone:
		l.downloaded = l.downloadTotal
		l.Current, l.Total = 0, 0
	default:
		l.Current, l.Total = 0, 0
	}
	t.samples = append(t.samples, sample{at: now, done: t.bytesDone()})
	for len(t.samples) > 2 && now.Sub(t.samples[0].at) > speedWindow {
		t.samples = t.samples[1:]
	}
	return changed
}

func (t *Tracker) bytesDone() int64 {
	var n int64
	for _, l := range t.layers {
		n += l.downloaded
	}
	return n
}

// Finish records that the engine ended the pull stream without an error:
// every layer is then in the store, whatever the stream said last (Podman
// never says "Pull complete", the containerd store may skip phases).
func (t *Tracker) Finish() {
	for _, l := range t.layers {
		if l.Phase == PhaseExists {
			continue
		}
		l.Phase, l.Current, l.Total = PhaseDone, 0, 0
		l.downloaded = max(l.downloaded, l.downloadTotal)
		l.downloadTotal = l.downloaded
	}
}

// Snapshot returns the current progress.
func (t *Tracker) Snapshot() PullProgress {
	p := PullProgress{Ref: t.ref, Retries: t.retries, TotalsKnown: true}
	skipUnlisted := slices.ContainsFunc(t.order, func(id string) bool { return !t.layers[id].unlisted })
	for _, id := range t.order {
		l := t.layers[id]
		if l.unlisted && skipUnlisted {
			continue
		}
		p.Layers = append(p.Layers, l.LayerProgress)
		p.LayersTotal++
		switch l.Phase {
		case PhaseDone, PhaseExists:
			p.LayersDone++
		}
		if l.Phase == PhaseExists {
			continue // nothing to download
		}
		if l.downloadTotal == 0 {
			p.TotalsKnown = false
		}
		p.BytesTotal += l.downloadTotal
		p.BytesDone += l.downloaded
	}
	if p.LayersTotal == 0 {
		p.TotalsKnown = false
	}
	if p.BytesDone > p.BytesTotal && p.TotalsKnown {
		p.BytesTotal = p.BytesDone
	}
	if n := len(t.samples); n >= 2 {
		first, last := t.samples[0], t.samples[n-1]
		if dt := last.at.Sub(first.at).Seconds(); dt > 0.2 && last.done >= first.done {
			p.BytesPerSec = float64(last.done-first.done) / dt
		}
	}
	if p.TotalsKnown && p.BytesPerSec > 0 {
		p.ETASeconds = float64(p.BytesTotal-p.BytesDone) / p.BytesPerSec
	}
	return p
}
