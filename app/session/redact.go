package session

import (
	"bytes"
	"io"

	"github.com/neurodesk/neurodeskapp/app/problem"
)

// redacted passes a container's log on with Jupyter tokens hidden, a whole
// line at a time: images before 2026-09 print their login address, token
// included, and every log the app shows, keeps or copies passes here.
type redacted struct {
	w    io.Writer
	part []byte
}

func redactTo(w io.Writer) *redacted { return &redacted{w: w} }

func (r *redacted) Write(p []byte) (int, error) {
	r.part = append(r.part, p...)
	i := bytes.LastIndexByte(r.part, '\n')
	if i < 0 {
		return len(p), nil
	}
	if _, err := io.WriteString(r.w, problem.Redact(string(r.part[:i+1]))); err != nil {
		return 0, err
	}
	r.part = append(r.part[:0], r.part[i+1:]...)
	return len(p), nil
}

// Flush writes a last line that has no newline.
func (r *redacted) Flush() error {
	if len(r.part) == 0 {
		return nil
	}
	_, err := io.WriteString(r.w, problem.Redact(string(r.part)))
	r.part = r.part[:0]
	return err
}
