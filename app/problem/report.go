package problem

import (
	"errors"
	"log/slog"
	"regexp"
)

// Report is a failure as a person is told it, the same in the window, on
// the command line and in the app log: what happened, what to do, and the
// cause in the engine's (or the system's) own words. Tokens are hidden.
type Report struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Remedy  string `json:"remedy,omitempty"`
	// Cause is the whole chain of what went wrong, when it says more than
	// Message.
	Cause string `json:"cause,omitempty"`
}

// Describe reports err; the zero Report for nil.
func Describe(err error) Report {
	if err == nil {
		return Report{}
	}
	full := Redact(err.Error())
	r := Report{Code: CodeOf(err), Message: full, Remedy: RemedyOf(err)}
	var pe *Error
	if errors.As(err, &pe) && pe.Message != "" {
		r.Message = Redact(pe.Message)
		if full != r.Message {
			r.Cause = full
		}
	}
	return r
}

// Log records a failed operation in the app log with its code and cause.
func Log(op string, err error) {
	if err == nil || CodeOf(err) == Canceled {
		return
	}
	r := Describe(err)
	slog.Error(op+" failed", "code", r.Code, "message", r.Message, "cause", r.Cause)
}

// tokenValue finds a token's value after the ways it is written: a query
// or an assignment (token=, JUPYTER_TOKEN=, --ServerApp.token=), the same
// URL-encoded (token%3D), and an Authorization header.
var tokenValue = regexp.MustCompile(`(?i)(token(?:=|%3D)|authorization:\s*(?:token|bearer)\s+)[A-Za-z0-9_\-]+`)

// Redact hides Jupyter tokens wherever they appear.
func Redact(s string) string { return tokenValue.ReplaceAllString(s, "${1}REDACTED") }
