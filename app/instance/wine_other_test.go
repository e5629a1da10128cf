//go:build !windows

package instance

import "testing"

func needUnixSockets(*testing.T) {}
