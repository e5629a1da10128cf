package session

import (
	"strings"
	"testing"
)

// A token written in pieces, across writes, is still hidden, and a last
// line without a newline is not lost.
func TestRedactedLogsAcrossWrites(t *testing.T) {
	token := strings.Repeat("9f", 32)
	log := "[I ServerApp] Jupyter Server 2.15 is running at:\n    http://127.0.0.1:8888/lab?token=" + token + "\nlast line"
	for _, size := range []int{1, 7, 64, len(log)} {
		var out strings.Builder
		r := redactTo(&out)
		for i := 0; i < len(log); i += size {
			r.Write([]byte(log[i:min(i+size, len(log))]))
		}
		r.Flush()
		if got := out.String(); strings.Contains(got, token) || !strings.Contains(got, "token=REDACTED\nlast line") {
			t.Errorf("writes of %d bytes: %q", size, got)
		}
	}
}
