//go:build dev

package ui

// browserLaunchers: a dev build (wails dev, and the tests that drive the
// launcher through Chromium) serves the launcher to browsers as well as to
// the window. A browser is a launcher whatever the window shows, so
// snapshots are sent even while the window shows JupyterLab.
const browserLaunchers = true
