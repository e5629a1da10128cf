package ui

import (
	"errors"
	"log/slog"

	"github.com/neurodesk/neurodeskapp/app/problem"
	"github.com/neurodesk/neurodeskapp/app/settings"
)

// ErrorView is how every Go error reaches the frontend: a stable code to
// branch on, the message, the remedy, and field errors for forms.
type ErrorView struct {
	Code    problem.Code          `json:"code"`
	Message string                `json:"message"`
	Remedy  string                `json:"remedy,omitempty"`
	Detail  string                `json:"detail,omitempty"` // the whole chain, for diagnostics
	Fields  []settings.FieldError `json:"fields,omitempty"`
}

// FormatError turns any error into an ErrorView; nil gives nil.
func FormatError(err error) *ErrorView {
	if err == nil {
		return nil
	}
	v := &ErrorView{Code: problem.CodeOf(err), Message: err.Error(), Remedy: problem.RemedyOf(err), Detail: err.Error()}
	var pe *problem.Error
	if errors.As(err, &pe) && pe.Message != "" {
		v.Message, v.Detail = pe.Message, err.Error()
	}
	var fields settings.Errors
	if errors.As(err, &fields) {
		v.Code, v.Fields = problem.InvalidSettings, fields
	}
	return v
}

// logFailure records a failed operation in the app log with its code and
// its whole cause, tokens hidden: what a bug report needs.
func logFailure(op string, err error) {
	if err == nil {
		return
	}
	slog.Error(op+" failed", "code", problem.CodeOf(err), "cause", Redact(err.Error()))
}
