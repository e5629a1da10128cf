package instance

import (
	"testing"

	"golang.org/x/sys/windows"
)

// needUnixSockets skips under Wine, which has no AF_UNIX sockets (Windows
// has them since 10 1803): these tests run on the windows-latest runner.
func needUnixSockets(t *testing.T) {
	if windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil {
		t.Skip("Wine has no AF_UNIX sockets; this runs on real Windows in the ci workflow")
	}
}
