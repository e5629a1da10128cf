// Package atomicfile replaces files so that a reader, or a crash, sees either
// the old content or the new, never a half-written file.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Write writes data to a temporary file beside path, syncs it, and renames
// it over path; then syncs the folder so the rename itself survives a crash.
func Write(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create folder for %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Chmod(perm); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // not supported everywhere (Windows); the rename is done either way
		d.Close()
	}
	return nil
}

// SetAside moves a file that could not be used to path.corrupt-<stamp>
// (or -<stamp>-2, -3, ... when that name is taken), keeping it for the user
// instead of discarding it; an earlier backup is never overwritten. It
// returns the new name.
func SetAside(path, stamp string) (string, error) {
	base := path + ".corrupt-" + stamp
	for i := 1; i < 1000; i++ {
		dst := base
		if i > 1 {
			dst = fmt.Sprintf("%s-%d", base, i)
		}
		// A hard link fails when dst exists, where a rename would replace it.
		err := os.Link(path, dst)
		if err == nil {
			if err := os.Remove(path); err != nil {
				return "", fmt.Errorf("keep aside %s: %w", path, err)
			}
			return dst, nil
		}
		if os.IsExist(err) {
			continue
		}
		// No hard links here (some network and FAT file systems): rename,
		// having checked that nothing is in the way.
		if _, serr := os.Lstat(dst); serr == nil {
			continue
		}
		if err := os.Rename(path, dst); err != nil {
			return "", fmt.Errorf("keep aside %s: %w", path, err)
		}
		return dst, nil
	}
	return "", fmt.Errorf("keep aside %s: too many earlier copies", path)
}
