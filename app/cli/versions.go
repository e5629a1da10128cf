package cli

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/neurodesk/neurodeskapp/app/launcher"
	"github.com/neurodesk/neurodeskapp/app/registry"
	"github.com/neurodesk/neurodeskapp/app/release"
	"github.com/neurodesk/neurodeskapp/app/versions"
)

func cmdVersions(ctx context.Context, args []string, io IO) int {
	fs := newFlags("versions", io)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	out := newOutput(io, "versions", *asJSON)
	return withEngine(ctx, io, out, func(e env, eng launcher.Engine) int { return printVersions(ctx, io, out, e, eng, *asJSON) })
}

func printVersions(ctx context.Context, io IO, out *output, e env, eng launcher.Engine, asJSON bool) int {
	running := ""
	if s, found, err := e.manager(eng).Find(ctx); err == nil && found {
		running = s.Version
	}
	reg := &registry.Client{HTTP: &http.Client{Timeout: 15 * time.Second}}
	r, err := versions.List(ctx, eng, e.releaseSource(), reg, e.settings, running)
	if err != nil {
		return fail(out, err)
	}
	if asJSON {
		out.writeJSON(r)
		return ExitOK
	}
	w := io.Stdout
	fmt.Fprintf(w, "Current version:  %s (%s)\n", r.Current.Tag, currentOrigin(r.Current.Origin))
	for _, src := range r.Sources {
		fmt.Fprintf(w, "  %-18s %s\n", src.Name+":", sourceLine(src))
	}
	if r.Pinned != "" {
		fmt.Fprintf(w, "Pinned:           %s\n", r.Pinned)
	}
	if r.Running != "" {
		fmt.Fprintf(w, "Running:          %s\n", r.Running)
	}
	fmt.Fprintln(w, "On this computer:")
	if len(r.OnDisk) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	for _, d := range r.OnDisk {
		var marks []string
		if d.InUse {
			marks = append(marks, "in use")
		}
		if d.Tag == r.Pinned {
			marks = append(marks, "pinned")
		}
		if d.Tag == r.Current.Tag {
			marks = append(marks, "current")
		}
		fmt.Fprintf(w, "  %-12s %8.1f GB  %s\n", d.Tag, float64(d.Size)/1e9, strings.Join(marks, ", "))
	}
	if r.RegistryError != "" {
		fmt.Fprintf(w, "In the registry:  could not be read (%s)\n", r.RegistryError)
		return ExitOK
	}
	shown := r.Registry
	if len(shown) > 15 {
		shown = shown[:15]
	}
	fmt.Fprintf(w, "In the registry (%s), newest first: %s", r.RegistryFrom, strings.Join(shown, " "))
	if len(r.Registry) > len(shown) {
		fmt.Fprintf(w, " … and %d more", len(r.Registry)-len(shown))
	}
	fmt.Fprintln(w)
	return ExitOK
}

func currentOrigin(o release.Origin) string {
	switch o {
	case release.OriginRemote:
		return "as its sources say now"
	case release.OriginCache:
		return "as its sources said last"
	}
	return "built into the app: no source has answered yet"
}

// sourceLine is what one source said, when, and why it could not be asked.
func sourceLine(s versions.SourceReport) string {
	line := "nothing yet"
	if s.Tag != "" {
		line = s.Tag
		if !s.At.IsZero() {
			line += ", " + s.At.Local().Format("2006-01-02 15:04")
		}
	}
	if s.Error != "" {
		line += " (could not be asked: " + s.Error + ")"
	}
	return line
}

func cmdPrune(ctx context.Context, args []string, io IO) int {
	fs := newFlags("prune", io)
	dry := fs.Bool("dry-run", false, "say what would be removed, and remove nothing")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	out := newOutput(io, "prune", *asJSON)
	return withEngine(ctx, io, out, func(e env, eng launcher.Engine) int { return prune(ctx, io, out, e, eng, *dry, *asJSON) })
}

func prune(ctx context.Context, io IO, out *output, e env, eng launcher.Engine, dry, asJSON bool) int {
	p, err := versions.Prune(ctx, eng, e.settings, dry)
	if asJSON {
		out.writeJSON(p)
	} else {
		verb := "Removed"
		if dry {
			verb = "Would remove"
		}
		for _, d := range p.Removed {
			fmt.Fprintf(io.Stdout, "%s %s (%.1f GB)\n", verb, d.Tag, float64(d.Size)/1e9)
		}
		for _, d := range p.Kept {
			fmt.Fprintf(io.Stdout, "Kept %s\n", d.Tag)
		}
		switch {
		case dry:
			fmt.Fprintf(io.Stdout, "At most %.1f GB would be freed.\n", float64(p.Freed)/1e9)
		case p.AtMost:
			fmt.Fprintf(io.Stdout, "Freed at most %.1f GB (the engine does not report its layers' sizes).\n", float64(p.Freed)/1e9)
		default:
			fmt.Fprintf(io.Stdout, "Freed %.1f GB (as the engine reports it).\n", float64(p.Freed)/1e9)
		}
	}
	if err != nil {
		return fail(out, fmt.Errorf("remove old versions: %w", err))
	}
	return ExitOK
}
