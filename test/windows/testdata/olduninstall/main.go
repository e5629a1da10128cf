// Command olduninstall stands in for the Electron app's (1.x) silent
// uninstaller in the installer test: it notes how it was called, and
// removes the old app's file as the real one does.
package main

import (
	"os"
	"path/filepath"
	"strings"
)

func main() {
	dir := filepath.Dir(os.Args[0])
	os.Remove(filepath.Join(dir, "NeurodeskApp.exe"))
	os.WriteFile(`C:\old-uninstalled.txt`, []byte(strings.Join(os.Args[1:], " ")+"\n"), 0o644)
}
