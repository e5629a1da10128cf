package update

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

type zipEntry struct {
	name, body string
	link       bool
}

func zipOf(t *testing.T, entries []zipEntry) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(0o755)
		if e.link {
			h.SetMode(os.ModeSymlink | 0o777)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.body))
	}
	zw.Close()
	return buf.Bytes()
}

func installedBundle(t *testing.T) string {
	bundle := filepath.Join(t.TempDir(), "Neurodesk.app")
	os.MkdirAll(filepath.Join(bundle, "Contents", "MacOS"), 0o755)
	os.WriteFile(filepath.Join(bundle, "Contents", "MacOS", "neurodeskapp"), []byte("old"), 0o755)
	return bundle
}

func TestMacBundleIsSwappedWhole(t *testing.T) {
	onlyUnix(t, "a macOS bundle, with its symlinks")
	bundle := installedBundle(t)
	data := zipOf(t, []zipEntry{
		{name: "Neurodesk.app/Contents/MacOS/neurodeskapp", body: "new"},
		{name: "Neurodesk.app/Contents/Frameworks/Lib.framework/Versions/A/Lib", body: "lib"},
		{name: "Neurodesk.app/Contents/Frameworks/Lib.framework/Lib", body: "Versions/A/Lib", link: true},
	})
	if err := (&Updater{}).Apply(Release{Version: "2.0.0"}, data, Install{Kind: KindMacBundle, Path: bundle}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(bundle, "Contents", "MacOS", "neurodeskapp")); string(b) != "new" {
		t.Errorf("the bundle's program is %q", b)
	}
	if b, err := os.ReadFile(filepath.Join(bundle, "Contents/Frameworks/Lib.framework/Lib")); err != nil || string(b) != "lib" {
		t.Errorf("the framework link reads %q (%v)", b, err)
	}
}

// TestMacUnzipRefusesLinksLeavingTheBundle: a link out of the bundle, or a
// file written through a link, fails the update and the old bundle stays.
func TestMacUnzipRefusesLinksLeavingTheBundle(t *testing.T) {
	outside := t.TempDir()
	for name, entries := range map[string][]zipEntry{
		"absolute link": {{name: "Neurodesk.app/Contents/MacOS/neurodeskapp", body: "new"}, {name: "Neurodesk.app/Contents/etc", body: outside, link: true}},
		"relative link": {{name: "Neurodesk.app/Contents/MacOS/neurodeskapp", body: "new"}, {name: "Neurodesk.app/Contents/up", body: "../../../../..", link: true}},
		"write through": {{name: "Neurodesk.app/Contents/out", body: outside, link: true}, {name: "Neurodesk.app/Contents/out/planted", body: "x"}},
		// Each inside by its text, outside once followed: here is the
		// bundle's folder, so here/.. is its parent, and up/.. beyond it.
		"through another link": {{name: "Neurodesk.app/Contents/MacOS/neurodeskapp", body: "new"},
			{name: "Neurodesk.app/here", body: ".", link: true}, {name: "Neurodesk.app/up", body: "here/..", link: true}},
		"nowhere": {{name: "Neurodesk.app/Contents/MacOS/neurodeskapp", body: "new"}, {name: "Neurodesk.app/Contents/lib", body: "missing/lib", link: true}},
	} {
		t.Run(name, func(t *testing.T) {
			bundle := installedBundle(t)
			err := (&Updater{}).Apply(Release{Version: "2.0.0"}, zipOf(t, entries), Install{Kind: KindMacBundle, Path: bundle})
			if err == nil {
				t.Fatal("the archive was accepted")
			}
			if b, _ := os.ReadFile(filepath.Join(bundle, "Contents", "MacOS", "neurodeskapp")); string(b) != "old" {
				t.Errorf("the installed bundle changed: %q", b)
			}
			if _, err := os.Stat(filepath.Join(outside, "planted")); err == nil {
				t.Error("a file was written outside the bundle")
			}
		})
	}
}

func TestAppImageIsReplacedByTheDownload(t *testing.T) {
	onlyUnix(t, "an AppImage, with its mode bits")
	img := filepath.Join(t.TempDir(), "Neurodesk.AppImage")
	os.WriteFile(img, []byte("old appimage"), 0o755)
	if err := (&Updater{}).Apply(Release{Version: "2.0.0"}, []byte("new appimage"), Install{Kind: KindAppImage, Path: img}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(img)
	if b, _ := os.ReadFile(img); err != nil || string(b) != "new appimage" || st.Mode().Perm()&0o111 == 0 {
		t.Errorf("AppImage is %q, mode %v (%v)", b, st.Mode(), err)
	}
}

// onlyUnix skips a test of a Linux or macOS install on Windows, where
// such an install cannot be (the test runs on those systems' runners).
func onlyUnix(t *testing.T, what string) {
	if runtime.GOOS == "windows" {
		t.Skipf("%s: not on Windows", what)
	}
}
