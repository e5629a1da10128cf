// Package problem is the error type every layer returns when a person can
// act on a failure: a stable code the UI and CLI branch on, what happened,
// and what to do about it.
package problem

import (
	"context"
	"errors"
	"fmt"
)

// Code identifies a kind of failure; existing values never change meaning.
type Code string

const (
	EngineNotInstalled     Code = "engine_not_installed"
	EngineNotRunning       Code = "engine_not_running"
	EnginePermissionDenied Code = "engine_permission_denied"
	EngineAPITooOld        Code = "engine_api_too_old"
	EngineFailed           Code = "engine_error"
	EngineRemoteNoSSH      Code = "engine_remote_without_ssh"
	DiskFull               Code = "disk_full"
	ImageNotFound          Code = "image_not_found"
	RegistryUnreachable    Code = "registry_unreachable"
	NameConflict           Code = "name_conflict"
	OtherUser              Code = "other_users_container"
	UpdateRejected         Code = "update_rejected"
	UpdateManaged          Code = "update_managed_by_package"
	UpdatesOff             Code = "updates_off"
	PrivilegedRefused      Code = "privileged_refused"
	InvalidSettings        Code = "invalid_settings"
	ContainerExited        Code = "container_exited"
	NotReady               Code = "jupyter_not_ready"
	NotRunning             Code = "not_running"
	RemoteUnreachable      Code = "remote_unreachable"
	InsecureRemote         Code = "insecure_remote"
	Canceled               Code = "canceled"
	Internal               Code = "internal"
)

// Error is a failure with a code and a remedy.
type Error struct {
	Code    Code
	Message string
	Remedy  string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// CodeOf returns the code of the first *Error in err's chain: Canceled for a
// cancelled context, Internal for anything else, "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if errors.Is(err, context.Canceled) {
		return Canceled
	}
	return Internal
}

// RemedyOf returns the remedy of the first *Error in err's chain, or "".
func RemedyOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Remedy
	}
	return ""
}
