package webview

import "testing"

func TestInterruptReason(t *testing.T) {
	for code, want := range map[int32]string{3: "the disk is full", 7: "the file could not be written",
		14: "the connection failed", 20: "the server did not send the file", 26: "it was cancelled", 99: "it was interrupted"} {
		if got := interruptReason(code); got != want {
			t.Errorf("reason %d: %q, want %q", code, got, want)
		}
	}
}
