package engine

import (
	"bytes"
	"testing"
	"time"
)

func feed(t *testing.T, tr *Tracker, start time.Time, lines ...string) {
	t.Helper()
	for i, l := range lines {
		m, err := ParseMessage([]byte(l))
		if err != nil {
			t.Fatal(err)
		}
		tr.Apply(m, start.Add(time.Duration(i)*time.Second))
	}
}

func TestTrackerDocker(t *testing.T) {
	tr := NewTracker("vnmd/neurodesktop:2026-07-11", nil)
	feed(t, tr, time.Unix(0, 0),
		`{"status":"Pulling from vnmd/neurodesktop","id":"2026-07-11"}`,
		`{"status":"Already exists","progressDetail":{},"id":"aaaaaaaaaaaa"}`,
		`{"status":"Pulling fs layer","progressDetail":{},"id":"bbbbbbbbbbbb"}`,
		`{"status":"Pulling fs layer","progressDetail":{},"id":"cccccccccccc"}`,
		`{"status":"Downloading","progressDetail":{"current":100,"total":1000},"progress":"[>  ]","id":"bbbbbbbbbbbb"}`,
		`{"status":"Downloading","progressDetail":{"current":500,"total":1000},"id":"bbbbbbbbbbbb"}`,
		`{"status":"Downloading","progressDetail":{"current":50,"total":3000},"id":"cccccccccccc"}`,
	)
	p := tr.Snapshot()
	if p.LayersTotal != 3 || p.LayersDone != 1 {
		t.Errorf("layers %d/%d, want 1/3 (the tag line is not a layer)", p.LayersDone, p.LayersTotal)
	}
	if !p.TotalsKnown || p.BytesTotal != 4000 || p.BytesDone != 550 {
		t.Errorf("bytes %d/%d known=%v, want 550/4000 (existing layers excluded)", p.BytesDone, p.BytesTotal, p.TotalsKnown)
	}
	if p.BytesPerSec <= 0 || p.ETASeconds <= 0 {
		t.Errorf("speed %v, eta %v: want both positive", p.BytesPerSec, p.ETASeconds)
	}
	feed(t, tr, time.Unix(10, 0),
		`{"status":"Verifying Checksum","progressDetail":{},"id":"bbbbbbbbbbbb"}`,
		`{"status":"Download complete","progressDetail":{},"id":"bbbbbbbbbbbb"}`,
		`{"status":"Extracting","progressDetail":{"current":200,"total":1000},"id":"bbbbbbbbbbbb"}`,
		`{"status":"Pull complete","progressDetail":{},"id":"bbbbbbbbbbbb"}`,
		`{"status":"Retrying in 5 seconds","progressDetail":{},"id":"cccccccccccc"}`,
		`{"status":"Downloading","progressDetail":{"current":3000,"total":3000},"id":"cccccccccccc"}`,
		`{"status":"Pull complete","progressDetail":{},"id":"cccccccccccc"}`,
		`{"status":"Digest: sha256:abc"}`,
		`{"status":"Status: Downloaded newer image for vnmd/neurodesktop:2026-07-11"}`,
	)
	p = tr.Snapshot()
	if p.LayersDone != 3 || p.BytesDone != 4000 || p.BytesTotal != 4000 || p.Retries != 1 {
		t.Errorf("at the end: %+v", p)
	}
}

// Podman and the containerd image store may send no byte totals at all.
func TestTrackerWithoutTotals(t *testing.T) {
	tr := NewTracker("x", nil)
	feed(t, tr, time.Unix(0, 0),
		`{"status":"Pulling fs layer","progressDetail":{},"id":"sha256:1111111111111111"}`,
		`{"status":"Downloading","progressDetail":{},"id":"sha256:1111111111111111"}`,
		`{"status":"Pulling fs layer","progressDetail":{},"id":"sha256:2222222222222222"}`,
		`{"status":"Download complete","progressDetail":{},"id":"sha256:1111111111111111"}`,
		`{"status":"Done","progressDetail":{},"id":"sha256:1111111111111111"}`,
		`{"stream":"Copying config sha256:abc\n"}`,
	)
	p := tr.Snapshot()
	if p.TotalsKnown || p.ETASeconds != 0 {
		t.Errorf("totals known without totals: %+v", p)
	}
	if p.LayersDone != 1 || p.LayersTotal != 2 {
		t.Errorf("layers %d/%d, want 1/2", p.LayersDone, p.LayersTotal)
	}
}

// Registry sizes fill in what the engine has not announced yet, so the
// total does not grow during the pull.
func TestTrackerRegistrySizes(t *testing.T) {
	tr := NewTracker("x", map[string]int64{
		"sha256:bbbbbbbbbbbb0000000000000000000000000000000000000000000000000000": 1000,
		"sha256:cccccccccccc0000000000000000000000000000000000000000000000000000": 3000,
	})
	feed(t, tr, time.Unix(0, 0),
		`{"status":"Pulling fs layer","progressDetail":{},"id":"bbbbbbbbbbbb"}`,
		`{"status":"Pulling fs layer","progressDetail":{},"id":"cccccccccccc"}`,
		`{"status":"Downloading","progressDetail":{"current":10,"total":1000},"id":"bbbbbbbbbbbb"}`,
	)
	if p := tr.Snapshot(); !p.TotalsKnown || p.BytesTotal != 4000 {
		t.Errorf("total %d known=%v, want 4000 from the start", p.BytesTotal, p.TotalsKnown)
	}
}

// Podman 4.3's compat stream, as recorded from `POST /images/create`: no
// bytes, no "Pull complete", and the config blob (59a0…) reported as a
// layer. Once the stream ends without an error the bar is full and done.
func TestTrackerPodmanStream(t *testing.T) {
	tr := NewTracker("127.0.0.1:5000/x/standin:t1", map[string]int64{
		"sha256:b1b7d267ad4d0000000000000000000000000000000000000000000000000000": 1500000,
		"sha256:1f4a87584b270000000000000000000000000000000000000000000000000000": 8400000,
	})
	feed(t, tr, time.Unix(0, 0),
		`{"status":"Pulling fs layer","progressDetail":{},"id":"b1b7d267ad4d"}`,
		`{"status":"Pulling fs layer","progressDetail":{},"id":"1f4a87584b27"}`,
		`{"status":"Download complete","progressDetail":{},"id":"1f4a87584b27"}`,
		`{"status":"Download complete","progressDetail":{},"id":"b1b7d267ad4d"}`,
		`{"status":"Pulling fs layer","progressDetail":{},"id":"59a067a70ebd"}`,
		`{"status":"Download complete","progressDetail":{},"id":"59a067a70ebd"}`,
		`{"status":"Download complete","progressDetail":{},"id":"59a067a70ebd"}`,
	)
	if p := tr.Snapshot(); p.LayersTotal != 2 || p.BytesDone != 9900000 {
		t.Errorf("before the end: %d layers, %d bytes; want 2 (the config blob is no layer) and all bytes", p.LayersTotal, p.BytesDone)
	}
	tr.Finish()
	p := tr.Snapshot()
	if p.LayersDone != 2 || p.LayersTotal != 2 || !p.TotalsKnown || p.BytesDone != p.BytesTotal || p.BytesTotal != 9900000 {
		t.Errorf("after the stream ended: %+v; want 2 of 2 layers and 100%%", p)
	}
}

// Without registry sizes nothing is left out, and Finish still ends at done.
func TestTrackerFinishWithoutTotals(t *testing.T) {
	tr := NewTracker("x", nil)
	feed(t, tr, time.Unix(0, 0),
		`{"status":"Pulling fs layer","progressDetail":{},"id":"aaaa"}`,
		`{"status":"Already exists","progressDetail":{},"id":"bbbb"}`,
		`{"status":"Downloading","progressDetail":{"current":10,"total":40},"id":"cccc"}`,
	)
	tr.Finish()
	p := tr.Snapshot()
	if p.LayersDone != 3 || p.LayersTotal != 3 {
		t.Errorf("layers %d of %d, want 3 of 3", p.LayersDone, p.LayersTotal)
	}
	for _, l := range p.Layers {
		if l.Phase != PhaseDone && l.Phase != PhaseExists {
			t.Errorf("layer %s ends %s", l.ID, l.Phase)
		}
	}
}

func TestTrackerClampsNonsense(t *testing.T) {
	tr := NewTracker("x", nil)
	feed(t, tr, time.Unix(0, 0),
		`{"status":"Downloading","progressDetail":{"current":5000,"total":1000},"id":"a"}`,
		`{"status":"Downloading","progressDetail":{"current":-5,"total":-1},"id":"b"}`,
	)
	p := tr.Snapshot()
	for _, l := range p.Layers {
		if l.Current < 0 || (l.Total > 0 && l.Current > l.Total) {
			t.Errorf("layer %+v out of range", l)
		}
	}
}

func FuzzPullMessages(f *testing.F) {
	f.Add([]byte(`{"status":"Downloading","progressDetail":{"current":1,"total":2},"id":"a"}` + "\n" + `{"status":"Pull complete","id":"a"}`))
	f.Add([]byte(`{"status":"Already exists","id":"b"}`))
	f.Add([]byte(`{"error":"boom","errorDetail":{"message":"boom"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr := NewTracker("x", map[string]int64{"sha256:aaaa": 10})
		for i, line := range bytes.Split(data, []byte("\n")) {
			m, err := ParseMessage(line)
			if err != nil {
				continue
			}
			tr.Apply(m, time.Unix(int64(i), 0))
		}
		p := tr.Snapshot()
		if p.LayersDone > p.LayersTotal || p.BytesDone < 0 || p.BytesTotal < 0 {
			t.Fatalf("impossible progress %+v", p)
		}
		if p.TotalsKnown && p.BytesDone > p.BytesTotal {
			t.Fatalf("done beyond total: %+v", p)
		}
		if !(p.ETASeconds >= 0) || !(p.BytesPerSec >= 0) { // also false for NaN
			t.Fatalf("nonsense rate: %+v", p)
		}
		tr.Finish()
		if p := tr.Snapshot(); p.LayersDone != p.LayersTotal || (p.TotalsKnown && p.BytesDone != p.BytesTotal) {
			t.Fatalf("a finished pull is not complete: %+v", p)
		}
	})
}
