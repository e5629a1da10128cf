package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/session"
	"github.com/neurodesk/neurodeskapp/app/settings"
)

func TestBytesAndDuration(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 1_500_000: "1.5 MB", 7_200_000_000: "7.2 GB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
	for d, want := range map[time.Duration]string{45 * time.Second: "45s", 200 * time.Second: "3m 20s", 65 * time.Minute: "1h 05m"} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestProgressLine(t *testing.T) {
	withTotals := progressLine(engine.PullProgress{BytesDone: 1_000_000_000, BytesTotal: 4_000_000_000, TotalsKnown: true, BytesPerSec: 10_000_000, ETASeconds: 300, LayersTotal: 5})
	for _, want := range []string{"25%", "1.0 GB / 4.0 GB", "10.0 MB/s", "ETA 5m 00s"} {
		if !strings.Contains(withTotals, want) {
			t.Errorf("%q lacks %q", withTotals, want)
		}
	}
	noTotals := progressLine(engine.PullProgress{LayersDone: 3, LayersTotal: 12})
	if noTotals != "Pulling: 3 of 12 layers done" {
		t.Errorf("without totals: %q", noTotals)
	}
}

func TestJSONOutputCarriesStateURLAndError(t *testing.T) {
	var out bytes.Buffer
	o := newOutput(IO{Stdout: &out, Stderr: &bytes.Buffer{}}, "test", true)
	o.event(session.Event{State: session.StateReady, Session: &session.Info{BaseURL: "http://127.0.0.1:5", Token: "t"}})
	o.failure(&problem.Error{Code: problem.DiskFull, Message: "full", Remedy: "free space"})
	lines := parseLines(t, out.String())
	if lines[0]["state"] != "ready" || lines[0]["url"] != "http://127.0.0.1:5/lab?token=t" {
		t.Errorf("ready line %v", lines[0])
	}
	e := lines[1]["error"].(map[string]any)
	if lines[1]["state"] != "failed" || e["code"] != "disk_full" || e["remedy"] != "free space" {
		t.Errorf("failure line %v", lines[1])
	}
}

func TestExitCodes(t *testing.T) {
	for code, want := range map[problem.Code]int{
		problem.EngineNotRunning: ExitNoEngine, problem.EnginePermissionDenied: ExitNoEngine, problem.NameConflict: ExitNameConflict,
		problem.InvalidSettings: ExitSettings, problem.ContainerExited: ExitStartFailed, problem.DiskFull: ExitPullFailed,
		problem.PrivilegedRefused: ExitStartFailed,
	} {
		if got := exitCode(&problem.Error{Code: code}); got != want {
			t.Errorf("%s -> %d, want %d", code, got, want)
		}
	}
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	io := IO{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	if Run(t.Context(), []string{"frobnicate"}, io) != ExitUsage || !strings.Contains(errb.String(), "unknown command") {
		t.Errorf("unknown command: %q", errb.String())
	}
	if Run(t.Context(), []string{"start", "--bogus"}, io) != ExitUsage {
		t.Error("unknown flag accepted")
	}
	if Run(t.Context(), []string{"version"}, io) != ExitOK || !strings.HasPrefix(out.String(), "neurodeskapp ") {
		t.Errorf("version: %q", out.String())
	}
}

func parseLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		recs = append(recs, m)
	}
	return recs
}

func TestOnlyFolders(t *testing.T) {
	folders := settings.Errors{{Field: "data_folder", Message: "x"}, {Field: "work_folder", Message: "y"}}
	mixed := settings.Errors{{Field: "data_folder", Message: "x"}, {Field: "cpus", Message: "y"}}
	if !onlyFolders(folders) || onlyFolders(mixed) || onlyFolders(errors.New("other")) {
		t.Error("folder errors are not told apart from the others")
	}
}
