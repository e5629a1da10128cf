package ui

import (
	"errors"

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

// FormatError turns any error into an ErrorView; nil gives nil. Message,
// remedy and code are problem.Describe's, as on the command line.
func FormatError(err error) *ErrorView {
	if err == nil {
		return nil
	}
	r := problem.Describe(err)
	v := &ErrorView{Code: r.Code, Message: r.Message, Remedy: r.Remedy, Detail: problem.Redact(err.Error())}
	var fields settings.Errors
	if errors.As(err, &fields) {
		v.Code, v.Fields = problem.InvalidSettings, fields
	}
	return v
}
