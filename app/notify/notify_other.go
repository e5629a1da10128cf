//go:build !linux

package notify

import "context"

// Send is not there yet on this system (macOS' and Windows' own APIs).
func Send(context.Context, string, string) error { return ErrUnsupported }
