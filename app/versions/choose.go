// Package versions decides which Neurodesktop version a start runs, lists
// the versions the manifest, the registry and the engine know, and frees the
// disk old ones hold. A new version never stands between a person and their
// work: a start runs what is on disk and the new one arrives in the
// background.
package versions

import (
	"regexp"
	"slices"
	"strings"
)

// dateTag is how Neurodesktop names its releases.
var dateTag = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// IsRelease reports whether tag names a dated release (not "latest", a
// test build, or a branch).
func IsRelease(tag string) bool { return dateTag.MatchString(tag) }

// Newer reports whether tag a is a newer release than b. Anything that is
// not a dated release is never newer than one.
func Newer(a, b string) bool {
	switch {
	case !IsRelease(a):
		return false
	case !IsRelease(b):
		return true
	}
	return a > b // dates compare as strings
}

// Sort orders tags newest first: dated releases, then the rest by name.
func Sort(tags []string) []string {
	out := slices.Clone(tags)
	slices.SortFunc(out, func(a, b string) int {
		ra, rb := IsRelease(a), IsRelease(b)
		switch {
		case ra && rb:
			return strings.Compare(b, a)
		case ra:
			return -1
		case rb:
			return 1
		}
		return strings.Compare(a, b)
	})
	return slices.Compact(out)
}

// Why says how a start's version was chosen.
type Why string

const (
	WhyOverride Why = "override" // asked for on the command line
	WhyPinned   Why = "pinned"   // the person stays on it
	WhyCurrent  Why = "current"  // the version the manifest names, on disk
	WhyOnDisk   Why = "on_disk"  // the newest on disk; a newer one is not here yet
	WhyPull     Why = "pull"     // nothing usable on disk: it is pulled
)

// Choice is the version a start runs, and what the launcher says about it.
type Choice struct {
	Tag string `json:"tag"`
	Why Why    `json:"why"`
	// Newer is a newer version the manifest names that is not on disk.
	Newer string `json:"newer,omitempty"`
}

// Choose picks the version to run: one asked for (override), the pinned
// one, the current one if it is on disk, else the newest on disk (the
// current one comes in the background), else the current one, pulled.
// onDisk holds the tags present in the engine.
func Choose(current, pinned, override string, onDisk []string) Choice {
	has := func(t string) bool { return slices.Contains(onDisk, t) }
	newer := func(than string) string {
		if current != "" && current != than && !has(current) && Newer(current, than) {
			return current
		}
		return ""
	}
	switch {
	case override != "":
		return Choice{Tag: override, Why: WhyOverride, Newer: newer(override)}
	case pinned != "":
		return Choice{Tag: pinned, Why: WhyPinned, Newer: newer(pinned)}
	case current != "" && has(current):
		return Choice{Tag: current, Why: WhyCurrent}
	}
	var releases []string
	for _, t := range onDisk {
		if IsRelease(t) {
			releases = append(releases, t)
		}
	}
	if len(releases) > 0 {
		newest := Sort(releases)[0]
		if current == "" || Newer(current, newest) {
			return Choice{Tag: newest, Why: WhyOnDisk, Newer: newer(newest)}
		}
	}
	return Choice{Tag: current, Why: WhyPull}
}
