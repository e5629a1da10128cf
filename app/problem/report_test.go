package problem

import (
	"errors"
	"fmt"
	"testing"
)

func TestDescribeKeepsTheCause(t *testing.T) {
	engineSaid := errors.New("failed to register layer: duplicates of file paths not supported")
	err := fmt.Errorf("pull: %w", &Error{Code: EngineFailed, Message: "Pulling vnmd/neurodesktop:2026-07-11 failed", Remedy: "Retry.", Err: engineSaid})
	r := Describe(err)
	if r.Code != EngineFailed || r.Message != "Pulling vnmd/neurodesktop:2026-07-11 failed" || r.Remedy != "Retry." {
		t.Errorf("report %+v", r)
	}
	if r.Cause != "pull: Pulling vnmd/neurodesktop:2026-07-11 failed: failed to register layer: duplicates of file paths not supported" {
		t.Errorf("cause %q", r.Cause)
	}
	if r := Describe(errors.New("plain")); r.Code != Internal || r.Message != "plain" || r.Cause != "" {
		t.Errorf("a plain error: %+v", r)
	}
	if r := Describe(errors.New("GET /lab?token=abcdef123 refused")); r.Message != "GET /lab?token=REDACTED refused" {
		t.Errorf("a token was not hidden: %q", r.Message)
	}
	if (Describe(nil) != Report{}) {
		t.Error("nil described")
	}
}
