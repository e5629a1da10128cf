package versions

import (
	"context"

	"github.com/neurodesk/neurodeskapp/app/release"
	"github.com/neurodesk/neurodeskapp/app/settings"
)

// Report is every version worth knowing about.
type Report struct {
	Current release.Version `json:"current"` // what the manifest names
	// Registry is what the repository (or, failing it, the mirror) offers,
	// newest first; RegistryError says why it could not be read.
	Registry      []string `json:"registry"`
	RegistryFrom  string   `json:"registry_from,omitempty"`
	RegistryError string   `json:"registry_error,omitempty"`
	OnDisk        []OnDisk `json:"on_disk"`
	Running       string   `json:"running,omitempty"` // the session's version
	Pinned        string   `json:"pinned,omitempty"`
	// Sources is what each place upstream publishes the version said.
	Sources []SourceReport `json:"sources,omitempty"`
}

// List gathers the Report. The manifest is read fresh when it can be.
func List(ctx context.Context, eng Engine, src Source, reg TagLister, st settings.Settings, running string) (Report, error) {
	r := Report{Running: running, Pinned: st.PinnedVersion, Current: src.Current()}
	if v, err := src.Refresh(ctx); err == nil {
		r.Current = v
	}
	if f, ok := src.(interface{ Sources() []SourceReport }); ok {
		r.Sources = f.Sources()
	}
	local, err := Local(ctx, eng, Repos(st))
	if err != nil {
		return Report{}, err
	}
	r.OnDisk = local
	for _, repo := range Repos(st) {
		tags, err := reg.Tags(ctx, repo)
		if err != nil {
			if r.RegistryError == "" {
				r.RegistryError = err.Error()
			}
			continue
		}
		r.Registry, r.RegistryFrom, r.RegistryError = Sort(tags), repo, ""
		break
	}
	return r, nil
}
