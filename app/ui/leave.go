package ui

import (
	"sync"
	"time"

	"github.com/neurodesk/neurodeskapp/app/webview"
)

// unsavedQuestion is asked before leaving a page with unsaved work where
// the web view does not ask itself.
var unsavedQuestion = webview.Question{Title: "Leave this page?",
	Message: "This page has changes that may not be saved.",
	Detail:  "Leaving it now loses them. Stay to save them first.",
	Buttons: []string{"_Leave", "_Stay"}, Default: 1, Cancel: 1}

// guardedLeave asks the page (g) whether it has unsaved work and, when it
// has, asks the person natively; then runs only if they leave. A page that
// does not answer within timeout is treated as having unsaved work: an
// extra question is better than lost work. Once the person chose to leave,
// the page's own question is disarmed, so it is not asked twice.
func guardedLeave(g webview.PageGuard, ask func(webview.Question) (webview.Answer, error), then func(), timeout time.Duration) {
	var once sync.Once
	decide := func(unsaved bool) {
		once.Do(func() {
			if unsaved {
				a, err := ask(unsavedQuestion)
				if err != nil || a.Button != 0 {
					return // stay
				}
				g.Release()
			}
			then()
		})
	}
	g.Unsaved(decide)
	time.AfterFunc(timeout, func() { decide(true) })
}
