//go:build !windows

package main

// useParentConsole: elsewhere a program run from a terminal has it.
func useParentConsole() {}
