//go:build !((linux || windows || darwin) && (dev || production))

package webview

import "context"

// Attach has nothing to attach to on this platform or build.
func Attach(context.Context, Hooks) (Native, error) { return nil, ErrUnsupported }
