// Package buildinfo carries what the linker stamps into a release build.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Set with -ldflags "-X github.com/neurodesk/neurodeskapp/app/buildinfo.Version=..."; never
// assigned at run time.
var (
	Version = "0.0.0-dev"
	Commit  = "unknown"
	Date    = "unknown"
)

// Info is the build stamp as one value.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"go_version"`
	Wails     string `json:"wails_version,omitempty"` // "" in Linux's command-line program, which has no window
	Platform  string `json:"platform"`
}

// Get returns the build stamp.
func Get() Info {
	i := Info{Version: Version, Commit: Commit, Date: Date, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/wailsapp/wails/v2" {
				i.Wails = d.Version
			}
		}
	}
	return i
}
