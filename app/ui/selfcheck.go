package ui

import (
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/neurodesk/neurodeskapp/app/atomicfile"
	"github.com/neurodesk/neurodeskapp/app/webview"
)

// SelfCheck is a run of the production window that proves it works on
// this machine (--self-check): the window shows, the launcher paints, the
// native hooks are installed and a picture of the window is taken; the
// report and the picture go to Dir and the app quits.
type SelfCheck struct {
	Dir     string
	Timeout time.Duration // for the whole check; 0 is a minute

	start   time.Time
	mu      sync.Mutex
	report  SelfCheckReport
	painted chan struct{}
	once    sync.Once
	done    chan struct{}
}

// SelfCheckReport is self-check.json.
type SelfCheckReport struct {
	OK       bool   `json:"ok"`
	Version  string `json:"version"`
	Platform string `json:"platform"`
	// Milliseconds from the start of the window until Wails showed it and
	// until the launcher first asked for its state (and so painted); -1
	// when it never did.
	WindowShownMS     int64    `json:"window_shown_ms"`
	LauncherPaintedMS int64    `json:"launcher_painted_ms"`
	Hooks             []string `json:"hooks"`
	Screenshot        string   `json:"screenshot,omitempty"`
	Failures          []string `json:"failures"`
}

// NewSelfCheck starts the clock of a check that writes into dir.
func NewSelfCheck(dir, version, platform string) *SelfCheck {
	return &SelfCheck{Dir: dir, start: time.Now(), painted: make(chan struct{}), done: make(chan struct{}),
		report: SelfCheckReport{Version: version, Platform: platform, WindowShownMS: -1, LauncherPaintedMS: -1, Hooks: []string{}, Failures: []string{}}}
}

func (c *SelfCheck) since() int64 { return time.Since(c.start).Milliseconds() }

func (c *SelfCheck) fail(format string, a ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.report.Failures = append(c.report.Failures, fmt.Sprintf(format, a...))
}

func (c *SelfCheck) shown() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.report.WindowShownMS < 0 {
		c.report.WindowShownMS = c.since()
	}
}

// launcherPainted is the launcher's first call for its state: it renders
// the answer at once.
func (c *SelfCheck) launcherPainted() {
	c.once.Do(func() {
		c.mu.Lock()
		c.report.LauncherPaintedMS = c.since()
		c.mu.Unlock()
		close(c.painted)
	})
}

// run waits for the launcher, checks the hooks, takes the picture, writes
// the report and quits; it runs beside the window.
func (c *SelfCheck) run(nat webview.Native, attachErr error, quit func()) {
	defer close(c.done)
	defer quit()
	timeout := c.Timeout
	if timeout == 0 {
		timeout = time.Minute
	}
	if attachErr != nil {
		c.fail("native hooks: %v", attachErr)
	}
	checker, _ := nat.(webview.Checker)
	if nat != nil && checker == nil {
		c.fail("native hooks: this platform's hooks cannot report themselves")
	}
	if checker != nil {
		c.mu.Lock()
		c.report.Hooks = append(c.report.Hooks, checker.Installed()...)
		c.mu.Unlock()
	}
	select {
	case <-c.painted:
	case <-time.After(timeout):
		c.fail("the launcher did not paint within %s", timeout)
	}
	time.Sleep(time.Second) // the answer is rendered, and fonts are in
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		c.fail("the report's folder: %v", err)
	}
	if checker != nil {
		shot := filepath.Join(c.Dir, "self-check.png")
		if err := checker.Snapshot(shot); err != nil {
			c.fail("%v", err)
		} else if err := notBlank(shot); err != nil {
			c.fail("the window's picture: %v", err)
		} else {
			c.mu.Lock()
			c.report.Screenshot = shot
			c.mu.Unlock()
		}
	}
	if err := c.write(); err != nil {
		slog.Error("self-check report", "error", err)
	}
}

func (c *SelfCheck) write() error {
	c.mu.Lock()
	c.report.OK = len(c.report.Failures) == 0 && c.report.WindowShownMS >= 0 && c.report.LauncherPaintedMS >= 0
	if c.report.WindowShownMS < 0 {
		c.report.Failures = append(c.report.Failures, "the window was never shown")
	}
	b, err := json.MarshalIndent(c.report, "", "  ")
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(c.Dir, "self-check.json"), append(b, '\n'), 0o644)
}

// Result is the report once the check has ended.
func (c *SelfCheck) Result() SelfCheckReport {
	select {
	case <-c.done:
	default:
		c.fail("the app quit before the check ended")
		if err := c.write(); err != nil {
			slog.Error("self-check report", "error", err)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.report
}

// notBlank reads the PNG at path: a painted launcher has more than a
// handful of colours (text, buttons, its background).
func notBlank(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return fmt.Errorf("not a PNG: %w", err)
	}
	b := img.Bounds()
	if b.Dx() < 100 || b.Dy() < 100 {
		return fmt.Errorf("only %dx%d pixels", b.Dx(), b.Dy())
	}
	return manyColours(img, 8)
}

func manyColours(img image.Image, want int) error {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
			if len(seen) >= want {
				return nil
			}
		}
	}
	return fmt.Errorf("blank: %d colours", len(seen))
}
