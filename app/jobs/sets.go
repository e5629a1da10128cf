package jobs

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// MaxSets bounds the runs of one job: a table bigger than this is more
// likely a mistake (the wrong file) than a study.
const MaxSets = 100_000

// Set is one run's values, as text, by parameter name.
type Set map[string]string

// ReadTable reads parameter sets from a CSV or TSV file (by its name's
// ending; .tsv and .txt are tab-separated): the first row names the
// parameters, each further row is one run.
func ReadTable(path string) ([]Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read the parameter table: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	if ext := strings.ToLower(filepath.Ext(path)); ext == ".tsv" || ext == ".txt" {
		r.Comma = '\t'
		r.LazyQuotes = true
	}
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("the parameter table %s is empty: its first row must name the parameters", filepath.Base(path))
	}
	if err != nil {
		return nil, fmt.Errorf("read the parameter table %s: %w", filepath.Base(path), err)
	}
	for i, h := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) // a spreadsheet's byte-order mark
		if !identifier.MatchString(header[i]) {
			return nil, fmt.Errorf("the parameter table %s names %q in its first row, which is not a parameter's name", filepath.Base(path), h)
		}
	}
	var sets []Set
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read the parameter table %s: %w", filepath.Base(path), err)
		}
		if len(sets) == MaxSets {
			return nil, fmt.Errorf("the parameter table %s has more than %d rows", filepath.Base(path), MaxSets)
		}
		s := Set{}
		for i, v := range row {
			s[header[i]] = v
		}
		sets = append(sets, s)
	}
	if len(sets) == 0 {
		return nil, fmt.Errorf("the parameter table %s has no rows below its header: nothing to run", filepath.Base(path))
	}
	return sets, nil
}

// SubjectParam is the parameter that takes each subject's label.
const SubjectParam = "subject"

// Subjects makes one set per subject of a BIDS dataset (its sub-* folders;
// the dataset is known by its dataset_description.json): subject=01 for
// sub-01.
func Subjects(dir string) ([]Set, error) {
	if _, err := os.Stat(filepath.Join(dir, "dataset_description.json")); err != nil {
		return nil, fmt.Errorf("%s is not a BIDS dataset (it has no dataset_description.json)", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read the BIDS dataset: %w", err)
	}
	var labels []string
	for _, e := range entries {
		if label, ok := strings.CutPrefix(e.Name(), "sub-"); ok && label != "" && e.IsDir() {
			labels = append(labels, label)
		}
	}
	if len(labels) == 0 {
		return nil, fmt.Errorf("the BIDS dataset %s has no sub-* folders: nothing to run", dir)
	}
	sort.Strings(labels)
	sets := make([]Set, len(labels))
	for i, l := range labels {
		sets[i] = Set{SubjectParam: l}
	}
	return sets, nil
}

// Values turns the base values (-p name=value) and one set into the typed
// values of one run, checked against the notebook's parameters. A notebook
// without a parameters cell takes any name.
func Values(params []Param, found bool, base, set Set) (map[string]any, error) {
	byName := map[string]Param{}
	for _, p := range params {
		byName[p.Name] = p
	}
	out := map[string]any{}
	var errs []error
	for _, s := range []Set{base, set} {
		keys := make([]string, 0, len(s))
		for k := range s {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, name := range keys {
			text := s[name]
			if !identifier.MatchString(name) {
				errs = append(errs, fmt.Errorf("%q is not a parameter's name (letters, digits and '_', not first a digit)", name))
				continue
			}
			p, ok := byName[name]
			if !ok && found {
				errs = append(errs, fmt.Errorf("the notebook has no parameter %q (it has: %s)", name, names(params)))
				continue
			}
			if !ok {
				p = Param{Name: name, Kind: KindNone}
			}
			v, err := p.Value(text)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out[name] = v
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func names(params []Param) string {
	if len(params) == 0 {
		return "none"
	}
	var n []string
	for _, p := range params {
		n = append(n, p.Name)
	}
	return strings.Join(n, ", ")
}
