package ui

import (
	"context"
	"testing"
)

// TestJobEndIsNotifiedOnce: a job seen going and then ended is told to the
// desktop once, with its outcome; one already ended when first seen, or
// still going, is not.
func TestJobEndIsNotifiedOnce(t *testing.T) {
	s, _ := newService(t)
	var sent []string
	s.cfg.Notify = func(_ context.Context, title, body string) error {
		sent = append(sent, title+" | "+body)
		return nil
	}
	runs := make([]RunView, 3)
	going := []JobView{{ID: "a", Notebook: "study/a.ipynb", State: "running", Runs: runs}, {ID: "b", Notebook: "b.ipynb", State: "succeeded", Runs: runs[:1]}}
	ended := []JobView{{ID: "a", Notebook: "study/a.ipynb", State: "failed", Counts: map[string]int{"succeeded": 2, "failed": 1}, Runs: runs},
		{ID: "b", Notebook: "b.ipynb", State: "succeeded", Runs: runs[:1]}, {ID: "c", Notebook: "c.ipynb", State: "succeeded", Runs: runs[:1]}}
	s.notifyEnded(context.Background(), nil, going)
	s.notifyEnded(context.Background(), going, going)
	if len(sent) != 0 {
		t.Fatalf("notified before anything ended: %q", sent)
	}
	s.notifyEnded(context.Background(), going, ended)
	s.notifyEnded(context.Background(), ended, ended)
	if len(sent) != 1 || sent[0] != "Job failed: a.ipynb | 2 of 3 runs done, 1 failed." {
		t.Errorf("notified %q", sent)
	}
}
