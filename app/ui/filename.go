package ui

import (
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameBytes is the longest file name the common file systems take
// (ext4, APFS, NTFS count 255 bytes or UTF-16 units; bytes are the stricter).
const maxNameBytes = 255

// downloadName turns the name a page suggests into one that is safe to
// create and honest to show: only its last path element; no control
// characters, which can hide a name's end; no bidirectional controls, which
// can make "evil‮txt.exe" read as "evilexe.txt"; none of the characters
// Windows refuses, no trailing dots or spaces, no device names (CON, NUL…);
// no leading dot (a hidden file); at most 255 bytes, keeping the extension.
func downloadName(suggested string) string {
	name := filepath.Base(filepath.Clean("/" + strings.ReplaceAll(suggested, `\`, "/")))
	if name == "/" || name == `\` {
		name = ""
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r),
			r == '\u200b', r == '\ufeff': // zero-width space and BOM: invisible
			return -1
		case strings.ContainsRune(`<>:"/\|?*`, r):
			return '_'
		}
		return r
	}, name)
	name = strings.TrimRight(strings.TrimSpace(name), ". ")
	if name == "" || strings.HasPrefix(name, ".") {
		name = "download" + name
	}
	stem, ext := splitExt(name)
	if windowsDevice(stem) {
		stem = "download-" + stem
	}
	if len(ext) > 32 { // not an extension, just a long name with a dot
		stem, ext = stem+ext, ""
	}
	return truncateUTF8(stem, maxNameBytes-len(ext)-len(" (999)")) + ext
}

// splitExt splits "scan.nii.gz" as "scan" + ".nii.gz": the extension a
// person recognises, which numbering and truncation keep.
func splitExt(name string) (stem, ext string) {
	ext = filepath.Ext(name)
	stem = strings.TrimSuffix(name, ext)
	if ext == ".gz" || ext == ".bz2" || ext == ".xz" || ext == ".zst" {
		if inner := filepath.Ext(stem); inner != "" && len(inner) <= 5 {
			stem, ext = strings.TrimSuffix(stem, inner), inner+ext
		}
	}
	if stem == "" { // ".tar.gz" alone cannot happen: leading dots were prefixed
		return name, ""
	}
	return stem, ext
}

func windowsDevice(stem string) bool {
	base, _, _ := strings.Cut(strings.ToUpper(stem), ".")
	switch base {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	return len(base) == 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) && base[3] >= '0' && base[3] <= '9'
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
