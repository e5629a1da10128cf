package platform

import (
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestRedirectPageIsPrivateAndLeadsThere(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	target := "http://127.0.0.1:49200/lab?token=abc&x=\"<y>"
	page, err := RedirectPage(dir, target)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(page)
	if err != nil || u.Scheme != "file" || strings.Contains(page, "abc") {
		t.Fatalf("page address %q must be a file URL without the token", page)
	}
	file := PathOfFileURL(u)
	st, err := os.Stat(file)
	if err != nil {
		t.Fatalf("the page %s: %v", file, err)
	}
	// Windows has no modes: the page is private as the user's own
	// AppData folder is.
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Fatalf("page mode %v, want 0600", st.Mode())
	}
	b, _ := os.ReadFile(file)
	if !strings.Contains(string(b), `location.replace("http://127.0.0.1:49200/lab?token=abc\u0026x=\"\u003cy\u003e")`) ||
		!strings.Contains(string(b), `url=http://127.0.0.1:49200/lab?token=abc&amp;x=&#34;&lt;y&gt;`) {
		t.Errorf("page does not lead to the target, escaped:\n%s", b)
	}
	for _, bad := range []string{"javascript:alert(1)", "file:///etc/passwd", "::"} {
		if _, err := RedirectPage(dir, bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestFileURL(t *testing.T) {
	for in, want := range map[string]string{
		"/home/ana/state dir": "file:///home/ana/state%20dir",
		"C:/Users/ana/Neu":    "file:///C:/Users/ana/Neu",
	} {
		if got := FileURL(in); got != want {
			t.Errorf("FileURL(%q) = %q, want %q", in, got, want)
		}
	}
}
