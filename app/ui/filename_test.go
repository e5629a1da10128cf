package ui

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDownloadNameIsSafeAndHonest(t *testing.T) {
	long := strings.Repeat("ü", 200) + ".nii.gz" // 400 bytes of stem
	for _, tt := range []struct{ in, want string }{
		{"results.csv", "results.csv"},
		{"../../etc/passwd", "passwd"},
		{"evil\u202etxt.exe", "eviltxt.exe"}, // would read "evilexe.txt"
		{"a\u2066b\u2069c\u200f.pdf", "abc.pdf"},
		{"line\nbreak\t\x00\x7f\u0085.txt", "linebreak.txt"},
		{"zero\u200bwidth\ufeff.txt", "zerowidth.txt"},
		{`what?<is>"this"|*.csv`, "what__is__this___.csv"},
		{"trailing. . .", "trailing"},
		{"  spaced  ", "spaced"},
		{"CON.txt", "download-CON.txt"},
		{"lpt1", "download-lpt1"},
		{"COMPUTER.txt", "COMPUTER.txt"},
		{".hidden", "download.hidden"},
		{"\u202e", "download"},
		{"bad\xffutf8.txt", "badutf8.txt"},
		{"scan.nii.gz", "scan.nii.gz"},
	} {
		if got := downloadName(tt.in); got != tt.want {
			t.Errorf("downloadName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	got := downloadName(long)
	if len(got) > maxNameBytes-len(" (999)") || !utf8.ValidString(got) || !strings.HasSuffix(got, "ü.nii.gz") {
		t.Errorf("a 400-byte name became %d bytes %q: want it cut whole characters, under 255 bytes with room for a number, .nii.gz kept", len(got), got)
	}
}
