package session

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Stage is what the image is doing during a start, read from its log:
// its own start-up (docker-stacks' hooks, Neurodesktop's scripts, the
// user refit) or, once Jupyter is launched, JupyterLab's.
type Stage struct {
	Text    string `json:"text"`
	Jupyter bool   `json:"jupyter"` // the image's scripts are done; Jupyter is starting
}

// timingDone is Neurodesktop's before_notebook.sh timing its critical part.
var timingDone = regexp.MustCompile(`\[TIMING\] critical-startup completed in (\d+)ms`)

// StartupStage reads one line of the container's log; ok when the line
// marks a stage. The lines are docker-stacks start.sh's and Neurodesktop's
// hooks' (docs/image-contract.md).
func StartupStage(line string) (st Stage, ok bool) {
	switch {
	case strings.Contains(line, "Running hooks in: /usr/local/bin/start-notebook.d"):
		return Stage{Text: "Running Neurodesktop's start-up scripts"}, true
	case strings.Contains(line, "UID:GID to") || strings.Contains(line, "passwordless sudo"):
		return Stage{Text: "Setting up your user in Neurodesktop"}, true
	case strings.Contains(line, "[TIMING] critical-startup started"):
		return Stage{Text: "Preparing the desktop, the tools and your home folder"}, true
	case timingDone.MatchString(line):
		ms, _ := strconv.Atoi(timingDone.FindStringSubmatch(line)[1])
		return Stage{Text: fmt.Sprintf("Neurodesktop's start-up took %.1f s", float64(ms)/1000)}, true
	case strings.Contains(line, "Executing the command: jupyter"):
		return Stage{Text: "Starting JupyterLab", Jupyter: true}, true
	case strings.Contains(line, "extension was successfully loaded"):
		return Stage{Text: "Loading JupyterLab's extensions", Jupyter: true}, true
	case strings.Contains(line, "is running at:") && strings.Contains(line, "Jupyter Server"):
		return Stage{Text: "JupyterLab answers; opening it", Jupyter: true}, true
	}
	return Stage{}, false
}

// LineWriter calls add with each whole line written to it (a log streamed
// in pieces), without its line ending.
func LineWriter(add func(line string)) io.Writer { return &lines{add: add} }

type lines struct {
	add  func(string)
	part string
}

func (l *lines) Write(p []byte) (int, error) {
	l.part += string(p)
	for {
		i := strings.IndexByte(l.part, '\n')
		if i < 0 {
			break
		}
		l.add(strings.TrimRight(l.part[:i], "\r"))
		l.part = l.part[i+1:]
	}
	return len(p), nil
}
