package cli

import (
	"context"
	"fmt"
	"runtime"

	"github.com/neurodesk/neurodeskapp/app/buildinfo"
	"github.com/neurodesk/neurodeskapp/app/update"
)

// updateReport is what `update --check --json` prints.
type updateReport struct {
	Current     string         `json:"current"`
	Available   bool           `json:"available"`
	Newest      string         `json:"newest,omitempty"`
	Asset       string         `json:"asset,omitempty"`
	AssetURL    string         `json:"asset_url,omitempty"`
	Size        int            `json:"size,omitempty"`
	ReleaseURL  string         `json:"release_url,omitempty"`
	Install     update.Install `json:"install"`
	Updated     bool           `json:"updated,omitempty"`
	Command     string         `json:"command,omitempty"` // for .deb/.rpm installs
	Error       *errorRecord   `json:"error,omitempty"`
	RestartHint string         `json:"restart,omitempty"`
}

func cmdUpdate(ctx context.Context, args []string, io IO) int {
	fs := newFlags("update", io)
	check := fs.Bool("check", false, "only say what would be installed")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	out := newOutput(io, "update", *asJSON)
	current := io.Version
	if current == "" {
		current = buildinfo.Get().Version
	}
	inst := update.DetectInstall(io.Executable, update.HostEnv(runtime.GOOS))
	r := updateReport{Current: current, Install: inst}
	finish := func(err error) int {
		code := ExitOK
		if err != nil {
			r.Error, code = errRecord(err), ExitFailure
		}
		if *asJSON {
			out.writeJSON(r)
		} else if err != nil {
			out.failure(err)
		}
		return code
	}
	up, err := update.New(update.Config{APIBaseURL: io.Getenv("NEURODESK_UPDATE_API"), PublicKey: io.UpdateKey})
	if err != nil {
		return finish(fmt.Errorf("set up updates: %w", err))
	}
	rel, found, err := up.Check(ctx, current, inst)
	if err != nil {
		return finish(err)
	}
	r.Available = found
	if found {
		r.Newest, r.Asset, r.AssetURL, r.Size, r.ReleaseURL = rel.Version, rel.AssetName, rel.AssetURL, rel.Size, rel.URL
	}
	if !*asJSON {
		w := io.Stdout
		fmt.Fprintf(w, "Current version:  %s\n", current)
		fmt.Fprintf(w, "Install:          %s (%s)\n", inst.Kind, inst.Path)
		if !found {
			fmt.Fprintln(w, "Newest version:   this one; no newer release carries a file for this install")
		} else {
			fmt.Fprintf(w, "Newest version:   %s (%s)\n", rel.Version, rel.URL)
			fmt.Fprintf(w, "Would install:    %s (%.1f MB)\n", rel.AssetName, float64(rel.Size)/1e6)
		}
	}
	if *check || !found {
		return finish(nil)
	}
	if inst.Kind == update.KindPackage {
		r.Command = update.PackageCommand(inst, rel.AssetName)
		if !*asJSON {
			fmt.Fprintf(io.Stdout, "This copy belongs to the system's package manager. Download\n  %s\nand install it:\n  %s\n", rel.AssetURL, r.Command)
		}
		return finish(nil)
	}
	if err := update.Blocked(rel, inst); err != nil {
		return finish(err)
	}
	data, err := up.Download(ctx, rel, func(done, total int64) { out.bytes("Downloading", done, total) })
	out.endLine()
	if err == nil {
		err = up.Apply(rel, data, inst)
	}
	if err != nil {
		return finish(err)
	}
	r.Updated, r.RestartHint = true, "Restart the app to use version "+rel.Version+"; a running session keeps running."
	if !*asJSON {
		fmt.Fprintf(io.Stdout, "Verified and installed %s. %s\n", rel.Version, r.RestartHint)
	}
	return finish(nil)
}
