// Package release knows which Neurodesktop image is current: it reads
// neurodesktop.toml from the web, a cache, or the copy built into the app.
package release

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/pelletier/go-toml/v2"
)

// CanonicalURL is where the Neurodesk project publishes the current version.
const CanonicalURL = "https://raw.githubusercontent.com/NeuroDesk/neurodesk.github.io/main/data/neurodesktop.toml"

// tagPattern is Docker's rule for a tag.
var tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// Manifest is the part of neurodesktop.toml we use; other keys are ignored.
type Manifest struct {
	Version string `toml:"jupyter_neurodesk_version"`
}

// Parse reads neurodesktop.toml and checks the image tag in it.
func Parse(data []byte) (Manifest, error) {
	var m Manifest
	if err := toml.Unmarshal(data, &m); err != nil {
		return Manifest{}, fmt.Errorf("parse neurodesktop.toml: %w", err)
	}
	if err := ValidTag(m.Version); err != nil {
		return Manifest{}, fmt.Errorf("parse neurodesktop.toml: jupyter_neurodesk_version: %w", err)
	}
	return m, nil
}

// ValidTag rejects what cannot be an image tag.
func ValidTag(tag string) error {
	if tag == "" {
		return errors.New("missing")
	}
	if !tagPattern.MatchString(tag) {
		return fmt.Errorf("%q is not a valid image tag", tag)
	}
	return nil
}
