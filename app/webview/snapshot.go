//go:build dev || production

package webview

import (
	"fmt"
	"time"
)

// awaitSnapshot waits for a web view's snapshot of path to be written.
func awaitSnapshot(done <-chan bool, path string) error {
	select {
	case ok := <-done:
		if !ok {
			return fmt.Errorf("snapshot of the window to %s: the web view could not take it", path)
		}
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("snapshot of the window to %s: the web view did not answer in 10 s", path)
	}
}
