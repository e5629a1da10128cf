package platform

import (
	"fmt"
	"os"
)

// PrivateDir makes dir, or accepts it only when it is a real folder (not a
// symlink) of this user that nobody else can enter: it may be in a shared
// temp folder, where another user could have made it, or a link, first.
func PrivateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() || !private(fi) {
		return fmt.Errorf("%s exists but is not a private folder of this user; remove it", dir)
	}
	return nil
}
