// Package jobs runs a notebook (or a script) unattended: once, or once per
// parameter set (the rows of a table, the subjects of a BIDS dataset), in
// containers of the Neurodesktop image, each run's executed notebook and a
// record of exactly what ran written beside the input. This file reads
// notebooks: the parameters a notebook offers (papermill's convention, the
// cell tagged "parameters") and how far an executed copy has got.
package jobs

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Param is one assignment of a notebook's parameters cell.
type Param struct {
	Name    string `json:"name"`
	Default string `json:"default"` // the Python literal as written
	Kind    Kind   `json:"kind"`
}

// Kind is the type a parameter's default tells.
type Kind string

const (
	KindInt   Kind = "int"
	KindFloat Kind = "float"
	KindBool  Kind = "bool"
	KindStr   Kind = "str"
	KindNone  Kind = "none"  // None: any value
	KindOther Kind = "other" // a list, a dict, an expression: JSON
)

// notebook is the part of nbformat 4 the app reads.
type notebook struct {
	Cells []struct {
		CellType string          `json:"cell_type"`
		Source   json.RawMessage `json:"source"` // a string or a list of lines
		Metadata struct {
			Tags      []string `json:"tags"`
			Papermill struct {
				Status    string   `json:"status"`
				Exception *bool    `json:"exception"`
				Duration  *float64 `json:"duration"`
			} `json:"papermill"`
		} `json:"metadata"`
		Outputs []struct {
			OutputType string   `json:"output_type"`
			Ename      string   `json:"ename"`
			Evalue     string   `json:"evalue"`
			Traceback  []string `json:"traceback"`
		} `json:"outputs"`
	} `json:"cells"`
	Metadata struct {
		Papermill struct {
			Exception *bool `json:"exception"`
		} `json:"papermill"`
	} `json:"metadata"`
}

func parseNotebook(b []byte) (notebook, error) {
	var nb notebook
	if err := json.Unmarshal(b, &nb); err != nil {
		return nb, fmt.Errorf("not a Jupyter notebook: %w", err)
	}
	return nb, nil
}

func source(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var lines []string
	_ = json.Unmarshal(raw, &lines) // neither: no source
	return strings.Join(lines, "")
}

var assignment = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*[A-Za-z_][\w\[\], ]*)?=\s*(.+)$`)

// identifier is a parameter's name: a Python name and nothing else
// (papermill writes `name = value` into the notebook as it is).
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// literal is an assignment's right side without its comment: a '#'
// inside a string is the string's.
func literal(rhs string) string {
	var quote byte
	for i := 0; i < len(rhs); i++ {
		switch c := rhs[i]; {
		case quote != 0 && c == '\\':
			i++
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case quote == 0 && c == '#':
			return strings.TrimSpace(rhs[:i])
		}
	}
	return strings.TrimSpace(rhs)
}

// Parameters reads the cell tagged "parameters": its top-level assignments,
// in order. found is false when the notebook has no such cell (papermill
// then puts the values in a cell of its own at the top).
func Parameters(b []byte) (params []Param, found bool, err error) {
	nb, err := parseNotebook(b)
	if err != nil {
		return nil, false, err
	}
	for _, c := range nb.Cells {
		if c.CellType != "code" || !hasTag(c.Metadata.Tags, "parameters") {
			continue
		}
		for _, line := range strings.Split(source(c.Source), "\n") {
			m := assignment.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			def := literal(m[2])
			params = append(params, Param{Name: m[1], Default: def, Kind: kindOf(def)})
		}
		return params, true, nil
	}
	return nil, false, nil
}

func hasTag(tags []string, t string) bool {
	for _, x := range tags {
		if x == t {
			return true
		}
	}
	return false
}

func kindOf(lit string) Kind {
	switch {
	case lit == "True" || lit == "False":
		return KindBool
	case lit == "None":
		return KindNone
	case len(lit) >= 2 && (lit[0] == '"' || lit[0] == '\'') && lit[len(lit)-1] == lit[0]:
		return KindStr
	}
	if _, err := strconv.ParseInt(lit, 10, 64); err == nil {
		return KindInt
	}
	if _, err := strconv.ParseFloat(lit, 64); err == nil {
		return KindFloat
	}
	return KindOther
}

// Value turns text a person typed (or a table's cell) into the value the
// parameter takes, or says why it cannot.
func (p Param) Value(text string) (any, error) {
	switch p.Kind {
	case KindInt:
		n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s takes a whole number (its default is %s), not %q", p.Name, p.Default, text)
		}
		return n, nil
	case KindFloat:
		f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("%s takes a number (its default is %s), not %q", p.Name, p.Default, text)
		}
		return f, nil
	case KindBool:
		switch strings.ToLower(strings.TrimSpace(text)) {
		case "true", "yes", "1":
			return true, nil
		case "false", "no", "0":
			return false, nil
		}
		return nil, fmt.Errorf("%s takes true or false (its default is %s), not %q", p.Name, p.Default, text)
	case KindStr:
		return text, nil
	case KindOther:
		var v any
		if err := json.Unmarshal([]byte(text), &v); err != nil {
			return nil, fmt.Errorf("%s takes a value written as JSON (its default is %s), not %q", p.Name, p.Default, text)
		}
		return v, nil
	}
	return guess(text), nil
}

// guess reads a value for a parameter of no known type as papermill's
// command line does: a number or a boolean where it is one, else text.
func guess(text string) any {
	if len(text) > 1 && text[0] == '0' && text[1] != '.' {
		return text // a label such as 01, not a number
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(text, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return f
	}
	switch text {
	case "True", "true":
		return true
	case "False", "false":
		return false
	}
	return text
}

// Progress is how far an executed notebook (papermill's output, saved
// after every cell) has got.
type Progress struct {
	Done  int `json:"done"`  // code cells finished
	Total int `json:"total"` // code cells in all
	// Failed is the cell that raised, when one did.
	Failed *CellError `json:"failed,omitempty"`
}

// CellError is a failed cell: its number among the code cells (from 1),
// the exception, and the traceback without terminal colours.
type CellError struct {
	Cell      int    `json:"cell"`
	Name      string `json:"name"`
	Value     string `json:"value"`
	Traceback string `json:"traceback"`
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// ReadProgress reads papermill's per-cell status from an output notebook.
func ReadProgress(b []byte) (Progress, error) {
	nb, err := parseNotebook(b)
	if err != nil {
		return Progress{}, err
	}
	var p Progress
	for _, c := range nb.Cells {
		// Papermill's own cell of values is not one of the person's.
		if c.CellType != "code" || hasTag(c.Metadata.Tags, "injected-parameters") {
			continue
		}
		p.Total++
		switch c.Metadata.Papermill.Status {
		case "completed":
			p.Done++
		case "failed":
			ce := &CellError{Cell: p.Total}
			for _, o := range c.Outputs {
				if o.OutputType == "error" {
					ce.Name, ce.Value = o.Ename, o.Evalue
					ce.Traceback = ansi.ReplaceAllString(strings.Join(o.Traceback, "\n"), "")
				}
			}
			p.Failed = ce
		}
	}
	return p, nil
}
