//go:build !dev

package ui

// browserLaunchers: only the window shows the launcher (see devserver_dev.go).
const browserLaunchers = false
