//go:build windows

package platform

import "os"

// private: such folders are under the user's own temp folder, which
// Windows keeps private to the user.
func private(os.FileInfo) bool { return true }
