package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Request is what a person asks to run.
type Request struct {
	Notebook   string // on this computer
	DataFolder string
	Values     Set   // -p name=value, for every run
	Sets       []Set // one run each; none is one run
	Image      string
	Digest     string
	Version    string
	Resources  Resources
	AtOnce     int
	Engine     string // the engine's own id
}

// NewJob checks the request against the notebook and makes the job, every
// run pending. Each value is checked against the parameter's type before
// anything runs, row by row.
func NewJob(req Request, now time.Time) (Job, error) {
	nbPath, rel, err := insideData(req.Notebook, req.DataFolder)
	if err != nil {
		return Job{}, err
	}
	b, err := os.ReadFile(nbPath)
	if err != nil {
		return Job{}, fmt.Errorf("read the notebook: %w", err)
	}
	params, found, err := Parameters(b)
	if err != nil {
		return Job{}, fmt.Errorf("%s: %w", filepath.Base(nbPath), err)
	}
	sets := req.Sets
	if len(sets) == 0 {
		sets = []Set{{}}
	}
	if len(sets) > MaxSets {
		return Job{}, fmt.Errorf("%d runs is more than a job may hold (%d)", len(sets), MaxSets)
	}
	sum := sha256.Sum256(b)
	j := Job{ID: NewID(now), Submitted: now, Notebook: nbPath, NotebookRel: rel, NotebookHash: hex.EncodeToString(sum[:]),
		DataFolder: req.DataFolder, Image: req.Image, ImageDigest: req.Digest, Version: req.Version, Where: "local",
		Resources: req.Resources, AtOnce: max(req.AtOnce, 1), Engine: req.Engine, Runs: make([]Run, len(sets))}
	if !found {
		j.Note = "the notebook has no cell tagged \"parameters\": papermill puts the values in a cell of its own at the top"
	}
	var errs []error
	for i, s := range sets {
		values, err := Values(params, found, req.Values, s)
		if err != nil {
			if len(req.Sets) > 0 {
				err = fmt.Errorf("row %d: %w", i+1, err)
			}
			errs = append(errs, err)
			if len(errs) == 10 {
				errs = append(errs, errors.New("…and maybe more rows"))
				break
			}
			continue
		}
		j.Runs[i] = Run{Index: i, Values: values, Set: s, State: Pending}
	}
	if err := errors.Join(errs...); err != nil {
		return Job{}, err
	}
	stem := strings.TrimSuffix(nbPath, filepath.Ext(nbPath))
	for i := range j.Runs {
		j.Runs[i].Output = stem + "." + j.RunID(i) + ".ipynb"
	}
	return j, nil
}

// insideData resolves the notebook and says where it is in the data
// folder: the runs see only that folder.
func insideData(notebook, data string) (abs, rel string, err error) {
	if !strings.EqualFold(filepath.Ext(notebook), ".ipynb") {
		return "", "", fmt.Errorf("%s is not a notebook (.ipynb)", notebook)
	}
	abs, err = filepath.Abs(notebook)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return "", "", fmt.Errorf("the notebook %s: %w", notebook, err)
	}
	root, err := filepath.EvalSymlinks(data)
	if err != nil {
		return "", "", fmt.Errorf("the data folder %s: %w", data, err)
	}
	rel, err = filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", "", fmt.Errorf("%s is outside the data folder %s, the only folder the runs see: move or copy it there", notebook, data)
	}
	return abs, filepath.ToSlash(rel), nil
}

// Rerun is a new job that runs j's notebook again with the same image (by
// digest) and values: every run, or only those that failed or were
// cancelled.
func Rerun(j Job, failedOnly bool, now time.Time) (Job, error) {
	b, err := os.ReadFile(j.Notebook)
	if err != nil {
		return Job{}, fmt.Errorf("read the notebook again: %w", err)
	}
	sum := sha256.Sum256(b)
	n := Job{ID: NewID(now), Submitted: now, Notebook: j.Notebook, NotebookRel: j.NotebookRel, NotebookHash: hex.EncodeToString(sum[:]),
		DataFolder: j.DataFolder, Image: j.Image, ImageDigest: j.ImageDigest, Version: j.Version, Where: j.Where,
		Resources: j.Resources, AtOnce: j.AtOnce, Engine: j.Engine, RerunOf: j.ID}
	if n.NotebookHash != j.NotebookHash {
		n.Note = "the notebook has changed since job " + j.ID + " ran it"
	}
	for _, r := range j.Runs {
		if failedOnly && r.State != Failed && r.State != Cancelled {
			continue
		}
		n.Runs = append(n.Runs, Run{Values: r.Values, Set: r.Set, State: Pending})
	}
	if len(n.Runs) == 0 {
		return Job{}, fmt.Errorf("job %s has no failed runs to run again", j.ID)
	}
	stem := strings.TrimSuffix(n.Notebook, filepath.Ext(n.Notebook))
	for i := range n.Runs {
		n.Runs[i].Index = i
		n.Runs[i].Output = stem + "." + n.RunID(i) + ".ipynb"
	}
	return n, nil
}
