package versions

import (
	"slices"
	"testing"
)

func TestSort(t *testing.T) {
	got := Sort([]string{"latest", "2026-07-11", "2025-12-01", "2026-12-01", "dev", "2026-07-11"})
	want := []string{"2026-12-01", "2026-07-11", "2025-12-01", "dev", "latest"}
	if !slices.Equal(got, want) {
		t.Errorf("Sort = %v, want %v", got, want)
	}
	if !Newer("2026-12-01", "2026-07-11") || Newer("latest", "2026-07-11") || !Newer("2026-07-11", "latest") {
		t.Error("Newer")
	}
}

func TestChoose(t *testing.T) {
	tests := []struct {
		name                      string
		current, pinned, override string
		onDisk                    []string
		want                      Choice
	}{
		{"first install pulls the current one", "2026-12-01", "", "", nil, Choice{Tag: "2026-12-01", Why: WhyPull}},
		{"current on disk", "2026-12-01", "", "", []string{"2026-07-11", "2026-12-01"}, Choice{Tag: "2026-12-01", Why: WhyCurrent}},
		{"the day a new one is published", "2026-12-01", "", "", []string{"2026-07-11", "2026-03-02"},
			Choice{Tag: "2026-07-11", Why: WhyOnDisk, Newer: "2026-12-01"}},
		{"only a non-release on disk", "2026-12-01", "", "", []string{"latest"}, Choice{Tag: "2026-12-01", Why: WhyPull}},
		{"manifest went back to an older one", "2026-07-11", "", "", []string{"2026-12-01"}, Choice{Tag: "2026-07-11", Why: WhyPull}},
		{"pinned stays although newer exists", "2026-12-01", "2026-03-02", "", []string{"2026-03-02", "2026-12-01"},
			Choice{Tag: "2026-03-02", Why: WhyPinned}},
		{"pinned says what is newer", "2026-12-01", "2026-03-02", "", []string{"2026-03-02"},
			Choice{Tag: "2026-03-02", Why: WhyPinned, Newer: "2026-12-01"}},
		{"pinned not on disk is pulled", "2026-12-01", "2025-01-01", "", nil, Choice{Tag: "2025-01-01", Why: WhyPinned, Newer: "2026-12-01"}},
		{"override beats the pin", "2026-12-01", "2026-03-02", "2026-07-11", []string{"2026-03-02"},
			Choice{Tag: "2026-07-11", Why: WhyOverride, Newer: "2026-12-01"}},
		{"no manifest at all, something on disk", "", "", "", []string{"2026-07-11"}, Choice{Tag: "2026-07-11", Why: WhyOnDisk}},
	}
	for _, tt := range tests {
		if got := Choose(tt.current, tt.pinned, tt.override, tt.onDisk); got != tt.want {
			t.Errorf("%s: Choose = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
