package jobs

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/neurodesk/neurodeskapp/app/atomicfile"
)

// The record of a run is a Process Run Crate (https://w3id.org/ro/wfrun/process),
// the RO-Crate profile for one execution of a tool: which notebook (by its
// checksum), which image (by digest), which values, where, when, and what
// came of it. Its crate is the notebook's folder; the metadata file is
// named for the run (RO-Crate 1.2's prefixed metadata file), so that many
// runs of one notebook keep their records side by side.
const (
	crateContext = "https://w3id.org/ro/crate/1.1/context"
	crateSpec    = "https://w3id.org/ro/crate/1.1"
	processCrate = "https://w3id.org/ro/wfrun/process/0.5"
)

// CratePath is where the record of run i goes: beside its output.
func (j Job) CratePath(i int) string {
	return strings.TrimSuffix(j.Runs[i].Output, ".ipynb") + "-ro-crate-metadata.json"
}

// WriteCrate writes the record of run i (done or not: a run cut short is
// recorded as such).
func WriteCrate(j Job, i int, app string) error {
	b, err := json.MarshalIndent(crate(j, i, app), "", "  ")
	if err != nil {
		return fmt.Errorf("record run %s: %w", j.RunID(i), err)
	}
	if err := atomicfile.Write(j.CratePath(i), b, 0o644); err != nil {
		return fmt.Errorf("record run %s: %w", j.RunID(i), err)
	}
	return nil
}

type entity map[string]any

func ref(id string) entity { return entity{"@id": id} }

func crate(j Job, i int, app string) entity {
	r := j.Runs[i]
	in := filepath.Base(j.Notebook)
	out := filepath.Base(r.Output)
	meta := filepath.Base(j.CratePath(i))
	status := "http://schema.org/ActiveActionStatus"
	switch r.State {
	case Succeeded:
		status = "http://schema.org/CompletedActionStatus"
	case Failed, Cancelled:
		status = "http://schema.org/FailedActionStatus"
	}
	var names []string
	for n := range r.Values {
		names = append(names, n)
	}
	sort.Strings(names)
	var values []entity
	var objects = []entity{ref(in)}
	for _, n := range names {
		v, _ := json.Marshal(r.Values[n])
		id := "#param-" + n
		values = append(values, entity{"@id": id, "@type": "PropertyValue", "name": n, "value": string(v)})
		objects = append(objects, ref(id))
	}
	action := entity{
		"@id": "#run-" + j.RunID(i), "@type": "CreateAction",
		"name":           fmt.Sprintf("Run %s of %s", j.RunID(i), in),
		"instrument":     ref(in),
		"containerImage": ref("#image"),
		"object":         objects,
		"actionStatus":   status,
		"agent":          ref("#neurodeskapp"),
	}
	if !r.Started.IsZero() {
		action["startTime"] = r.Started.UTC().Format(time.RFC3339)
	}
	if !r.Ended.IsZero() {
		action["endTime"] = r.Ended.UTC().Format(time.RFC3339)
	}
	if r.State == Succeeded || r.State == Failed {
		action["result"] = []entity{ref(out)}
	}
	if r.Reason != "" {
		action["error"] = r.Reason
	}
	if r.ExitCode != nil {
		action["exitCode"] = *r.ExitCode
	}
	where := r.Host
	if r.Container != "" {
		where += " (container " + r.Container + ")"
	}
	action["description"] = "Executed by papermill in " + j.Image + " on " + where
	registry, name, tag, digest := splitImage(j.Image, j.ImageDigest)
	hash := j.NotebookHash
	if r.NotebookHash != "" {
		hash = r.NotebookHash // as the run found it
	}
	graph := []entity{
		{"@id": meta, "@type": "CreativeWork", "about": ref("./"), "conformsTo": ref(crateSpec)},
		{"@id": "./", "@type": "Dataset", "name": "Run " + j.RunID(i) + " of " + in, "datePublished": j.Submitted.UTC().Format(time.RFC3339),
			"conformsTo": ref(processCrate), "hasPart": []entity{ref(in), ref(out)}, "mentions": ref("#run-" + j.RunID(i))},
		{"@id": processCrate, "@type": "CreativeWork", "name": "Process Run Crate", "version": "0.5"},
		{"@id": in, "@type": []string{"File", "SoftwareSourceCode"}, "name": in, "encodingFormat": "application/x-ipynb+json",
			"sha256": hash, "programmingLanguage": "Jupyter notebook"},
		{"@id": out, "@type": "File", "name": out, "encodingFormat": "application/x-ipynb+json",
			"description": "The executed notebook, every cell's output as it ran"},
		{"@id": "#image", "@type": "ContainerImage", "additionalType": ref("https://w3id.org/ro/terms/workflow-run#DockerImage"),
			"registry": registry, "name": name, "tag": tag, "sha256": digest},
		{"@id": "#neurodeskapp", "@type": "SoftwareApplication", "name": "Neurodesk App", "version": app,
			"url": "https://github.com/neurodesk/neurodeskapp"},
		action,
	}
	graph = append(graph, values...)
	return entity{"@context": []any{crateContext, entity{"ContainerImage": "https://w3id.org/ro/terms/workflow-run#ContainerImage",
		"containerImage": "https://w3id.org/ro/terms/workflow-run#containerImage", "registry": "https://w3id.org/ro/terms/workflow-run#registry",
		"tag": "https://w3id.org/ro/terms/workflow-run#tag", "exitCode": "https://w3id.org/ro/terms/workflow-run#exitCode"}}, "@graph": graph}
}

// splitImage reads registry, name and tag from a reference such as
// ghcr.io/neurodesk/neurodesktop:2026-09-23, and the digest's hex.
func splitImage(image, digest string) (registry, name, tag, hex string) {
	name = image
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name, tag = name[:i], name[i+1:]
	}
	registry = "docker.io"
	if first, rest, ok := strings.Cut(name, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		registry, name = first, rest
	}
	if _, h, ok := strings.Cut(digest, "sha256:"); ok {
		hex = h
	}
	return registry, name, tag, hex
}
