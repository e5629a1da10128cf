package engine

import "testing"

func TestParseAccount(t *testing.T) {
	for _, out := range []string{"neurodesk-account\n1001\n1001\nana\n", "Welcome to the cluster!\n42\nneurodesk-account\n1001\n1001\nana\n"} {
		a, err := parseAccount(out)
		if err != nil || *a != (Account{UID: 1001, GID: 1001, Name: "ana"}) {
			t.Errorf("parseAccount(%q) = %+v %v", out, a, err)
		}
	}
	for _, bad := range []string{"", "1001\n1001\nana\n", "neurodesk-account\n1001\n", "neurodesk-account\nx\n1\nana\n", "neurodesk-account\n1\n1\nana\nextra\n", "neurodesk-account\n-1\n1\nana\n"} {
		if a, err := parseAccount(bad); err == nil {
			t.Errorf("parseAccount(%q) = %+v, want an error", bad, a)
		}
	}
}
