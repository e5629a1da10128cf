//go:build !(linux && (dev || production))

package webview

// Attach has nothing to attach to on this platform or build.
func Attach(Hooks) (Native, error) { return nil, ErrUnsupported }
