// Package applog writes the app's log (slog, text) to a file in the state
// folder, rotated at start when it grows too large, keeping a few old ones.
package applog

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
)

const (
	maxSize = 5 << 20
	keep    = 3
)

// Open rotates dir/neurodeskapp.log if needed and returns a logger writing
// to it, and the file to close at exit. Tokens must never be passed to it.
func Open(dir string) (*slog.Logger, io.Closer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("open app log: %w", err)
	}
	path := filepath.Join(dir, "neurodeskapp.log")
	if st, err := os.Stat(path); err == nil && st.Size() > maxSize {
		rotate(path)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open app log: %w", err)
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo})), f, nil
}

// rotate shifts log -> log.1 -> log.2 ..., dropping the oldest.
func rotate(path string) {
	os.Remove(fmt.Sprintf("%s.%d", path, keep))
	for i := keep - 1; i >= 1; i-- {
		os.Rename(fmt.Sprintf("%s.%d", path, i), fmt.Sprintf("%s.%d", path, i+1))
	}
	os.Rename(path, path+".1")
}
