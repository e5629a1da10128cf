package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/neurodesk/neurodeskapp/app/engine"
	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/session"
)

// output prints events in one of three forms: JSON lines on stdout, a
// redrawn progress bar on a terminal, or plain lines for logs and pipes.
type output struct {
	mu       sync.Mutex
	stdout   io.Writer
	stderr   io.Writer
	json     bool
	terminal bool
	last     session.State
	barShown bool
	lastLine time.Time
	op       string            // the command, for the app log
	ended    bool              // ready or failed was printed: no stage lines after it
	seen     map[string]string // jobs: the last line printed for each run
}

// newOutput prints what command op does; its failures also go to the app log.
func newOutput(io IO, op string, asJSON bool) *output {
	return &output{stdout: io.Stdout, stderr: io.Stderr, json: asJSON, terminal: io.Terminal, op: op}
}

// record is one JSON line. The URL carries the token: it is printed for the
// user who asked for it, and never logged.
type record struct {
	State   session.State        `json:"state"`
	Message string               `json:"message,omitempty"`
	Pull    *engine.PullProgress `json:"pull,omitempty"`
	URL     string               `json:"url,omitempty"`
	Adopted bool                 `json:"adopted,omitempty"`
	Error   *errorRecord         `json:"error,omitempty"`
	LogTail []string             `json:"log_tail,omitempty"`
	LogFile string               `json:"log_file,omitempty"`
	// Stage is what the image is doing while JupyterLab is awaited, from
	// its log (the launcher's Start-up step).
	Stage *session.Stage `json:"stage,omitempty"`
	Time  time.Time      `json:"time"`
}

// errorRecord is problem.Describe's report: the window shows the same.
type errorRecord = problem.Report

func errRecord(err error) *errorRecord {
	r := problem.Describe(err)
	return &r
}

// stage prints a stage of the image's start-up, until the start has ended.
func (o *output) stage(st session.Stage) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ended {
		return
	}
	if o.json {
		o.writeJSON(record{State: session.StateWaiting, Stage: &st, Time: time.Now()})
		return
	}
	fmt.Fprintf(o.stderr, "  %s\n", st.Text)
}

func (o *output) event(e session.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if e.State == session.StateReady || e.State == session.StateFailed {
		o.ended = true
	}
	if e.State == session.StateFailed {
		problem.Log(o.op, e.Err)
	}
	if o.json {
		r := record{State: e.State, Message: e.Message, Pull: e.Pull, LogTail: e.LogTail, LogFile: e.LogFile, Time: e.At}
		if e.Session != nil {
			r.URL, r.Adopted = e.Session.LabURL(), e.Session.Adopted
		}
		if e.Err != nil {
			r.Error = errRecord(e.Err)
		}
		o.writeJSON(r)
		return
	}
	if e.State == session.StateFailed && e.Err != nil {
		o.printFailure(e.Err)
		return
	}
	if e.Pull != nil {
		o.progress(e.Pull)
		return
	}
	if o.barShown {
		fmt.Fprintln(o.stderr)
		o.barShown = false
	}
	if e.State == session.StateReady && e.Session != nil {
		verb := "Neurodesktop is ready"
		if e.Session.Adopted {
			verb = "Neurodesktop is already running"
		}
		fmt.Fprintf(o.stderr, "%s:\n", verb)
		fmt.Fprintln(o.stdout, e.Session.LabURL())
		return
	}
	if e.State != o.last || e.Message != "" {
		fmt.Fprintf(o.stderr, "%s %s\n", stateLabel(e.State), e.Message)
	}
	o.last = e.State
}

func (o *output) writeJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"state":"failed","error":{"code":"internal","message":"could not encode output"}}`)
	}
	o.stdout.Write(append(b, '\n')) //nolint:errcheck // nowhere better to report it
}

func (o *output) progress(p *engine.PullProgress) {
	line := progressLine(*p)
	if o.terminal {
		fmt.Fprintf(o.stderr, "\r\033[K%s", line)
		o.barShown = true
		return
	}
	// Pipes and logs get a line every few seconds, not a flood.
	if time.Since(o.lastLine) >= 5*time.Second || p.LayersDone == p.LayersTotal {
		fmt.Fprintln(o.stderr, line)
		o.lastLine = time.Now()
	}
}

// bytes shows a download's progress (not in JSON, where only the result counts).
func (o *output) bytes(what string, done, total int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.json || !o.terminal && time.Since(o.lastLine) < 5*time.Second && done != total {
		return
	}
	line := fmt.Sprintf("%s %.1f of %.1f MB", what, float64(done)/1e6, float64(total)/1e6)
	if o.terminal {
		fmt.Fprintf(o.stderr, "\r\033[K%s", line)
		o.barShown = true
		return
	}
	fmt.Fprintln(o.stderr, line)
	o.lastLine = time.Now()
}

// note is a line for the person (a JSON record with state "note").
func (o *output) note(text string) {
	if text == "" {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.json {
		o.writeJSON(record{State: "note", Message: text, Time: time.Now()})
		return
	}
	fmt.Fprintln(o.stderr, text)
}

// endLine ends a progress line drawn on a terminal.
func (o *output) endLine() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.barShown {
		fmt.Fprintln(o.stderr)
		o.barShown = false
	}
}

// failure reports an error that did not come as an event.
func (o *output) failure(err error) {
	problem.Log(o.op, err)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.json {
		tail, file := session.LogTail(err)
		o.writeJSON(record{State: session.StateFailed, Error: errRecord(err), LogTail: tail, LogFile: file, Time: time.Now()})
		return
	}
	o.printFailure(err)
}

func (o *output) printFailure(err error) {
	if o.barShown {
		fmt.Fprintln(o.stderr)
	}
	r := problem.Describe(err)
	fmt.Fprintf(o.stderr, "Error: %s\n", r.Message)
	if r.Cause != "" {
		fmt.Fprintf(o.stderr, "Cause: %s\n", r.Cause)
	}
	if tail, file := session.LogTail(err); len(tail) > 0 {
		fmt.Fprintln(o.stderr, "Last lines of the container log:")
		for _, l := range tail {
			fmt.Fprintln(o.stderr, "  "+l)
		}
		if file != "" {
			fmt.Fprintf(o.stderr, "The whole log is kept in %s\n", file)
		}
	}
	if r.Remedy != "" {
		fmt.Fprintf(o.stderr, "What to do: %s\n", r.Remedy)
	}
}

func stateLabel(s session.State) string {
	labels := map[session.State]string{
		session.StateChecking: "Engine:", session.StatePulling: "Pulling", session.StateCreating: "Creating the container for",
		session.StateStarting: "Starting", session.StateWaiting: "Waiting for JupyterLab at", session.StateStopping: "Stopping",
		session.StateStopped: "Stopped.", session.StateQueued: "SLURM",
	}
	if l, ok := labels[s]; ok {
		return l
	}
	return string(s)
}

// progressLine renders a pull: bytes with speed and ETA when the engine
// gives totals, else layers done of total.
func progressLine(p engine.PullProgress) string {
	const width = 30
	if !p.TotalsKnown || p.BytesTotal <= 0 {
		return fmt.Sprintf("Pulling: %d of %d layers done", p.LayersDone, p.LayersTotal)
	}
	frac := min(float64(p.BytesDone)/float64(p.BytesTotal), 1)
	n := int(frac * width)
	bar := strings.Repeat("█", n) + strings.Repeat("░", width-n)
	s := fmt.Sprintf("%s %3.0f%%  %s / %s", bar, frac*100, Bytes(p.BytesDone), Bytes(p.BytesTotal))
	if p.BytesPerSec > 0 {
		s += fmt.Sprintf("  %s/s", Bytes(int64(p.BytesPerSec)))
	}
	if p.ETASeconds > 0 {
		s += "  ETA " + Duration(time.Duration(p.ETASeconds*float64(time.Second)))
	}
	if p.Retries > 0 {
		s += fmt.Sprintf("  (retried %d×)", p.Retries)
	}
	return s
}

// Bytes formats a size in decimal units, as disk and network tools do.
func Bytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// Duration formats an ETA coarsely: "45s", "3m 20s", "1h 05m".
func Duration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
}
