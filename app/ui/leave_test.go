package ui

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/neurodesk/neurodeskapp/app/webview"
)

// fakeGuard answers Unsaved with answer (or never, when silent).
type fakeGuard struct {
	answer, silent bool
	mu             sync.Mutex
	released       bool
}

func (g *fakeGuard) Unsaved(report func(bool)) {
	if !g.silent {
		go report(g.answer)
	}
}
func (g *fakeGuard) Release() { g.mu.Lock(); g.released = true; g.mu.Unlock() }

// TestGuardedLeave: a page without unsaved work is left without a question;
// with unsaved work the person is asked, Leave goes on (and disarms the
// page's own question) and Stay stays; a page that does not answer counts
// as having unsaved work.
func TestGuardedLeave(t *testing.T) {
	for _, tc := range []struct {
		name           string
		guard          *fakeGuard
		button         int
		asked, left    bool
		releasedBefore bool
	}{
		{"saved", &fakeGuard{answer: false}, 0, false, true, false},
		{"unsaved, leave", &fakeGuard{answer: true}, 0, true, true, true},
		{"unsaved, stay", &fakeGuard{answer: true}, 1, true, false, false},
		{"no answer, leave", &fakeGuard{silent: true}, 0, true, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var asked atomic.Bool
			left := make(chan bool, 1)
			ask := func(q webview.Question) (webview.Answer, error) {
				asked.Store(true)
				if q.Buttons[q.Cancel] != "_Stay" {
					t.Errorf("Esc would not stay: %v", q.Buttons)
				}
				return webview.Answer{Button: tc.button}, nil
			}
			guardedLeave(tc.guard, ask, func() {
				tc.guard.mu.Lock()
				left <- tc.guard.released
				tc.guard.mu.Unlock()
			}, 200*time.Millisecond)
			select {
			case released := <-left:
				if !tc.left {
					t.Fatal("left a page the person stayed on")
				}
				if released != tc.releasedBefore {
					t.Errorf("page question disarmed before leaving: %v, want %v", released, tc.releasedBefore)
				}
			case <-time.After(time.Second):
				if tc.left {
					t.Fatal("never left")
				}
			}
			if asked.Load() != tc.asked {
				t.Errorf("asked %v, want %v", asked.Load(), tc.asked)
			}
		})
	}
}
