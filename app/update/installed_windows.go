//go:build windows

package update

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/windows/registry"
)

// uninstallKey is the installer's entry in "Installed apps" (see
// build/windows/installer/project.nsi).
const uninstallKey = `Software\Microsoft\Windows\CurrentVersion\Uninstall\cb534ed1-381a-53a0-8209-d2d9f455bef5`

// recordInstalled keeps "Installed apps" true after an in-app update: the
// version shown and the size on disk.
func recordInstalled(inst Install, version string) error {
	if inst.Kind != KindWindowsUser {
		return nil
	}
	k, err := registry.OpenKey(registry.CURRENT_USER, uninstallKey, registry.SET_VALUE)
	if err != nil {
		return nil // not installed by our installer: nothing to keep true
	}
	defer k.Close()
	if err := k.SetStringValue("DisplayVersion", version); err != nil {
		return err
	}
	var kb uint32
	filepath.Walk(filepath.Dir(inst.Path), func(_ string, fi os.FileInfo, err error) error { //nolint:errcheck // a size is a hint
		if err == nil && !fi.IsDir() {
			kb += uint32(fi.Size() / 1024)
		}
		return nil
	})
	return k.SetDWordValue("EstimatedSize", kb)
}
