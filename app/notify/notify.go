// Package notify shows a desktop notification: on Linux through the
// freedesktop Notifications service on the session's D-Bus (the notification
// daemon of GNOME, KDE, dunst, …).
package notify

import "errors"

// ErrUnsupported: this system's notifications are not reached yet.
var ErrUnsupported = errors.New("desktop notifications are not supported on this system yet")
