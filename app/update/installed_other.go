//go:build !windows

package update

// recordInstalled has nothing to record outside Windows.
func recordInstalled(Install, string) error { return nil }
