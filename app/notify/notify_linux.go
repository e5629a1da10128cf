package notify

import (
	"context"
	"fmt"

	"github.com/godbus/dbus/v5"
)

// Send shows a notification with a title and a body, in the app's name.
func Send(ctx context.Context, title, body string) error {
	conn, err := dbus.SessionBusPrivate()
	if err != nil {
		return fmt.Errorf("reach the session bus for a notification: %w", err)
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return fmt.Errorf("reach the session bus for a notification: %w", err)
	}
	if err := conn.Hello(); err != nil {
		return fmt.Errorf("reach the session bus for a notification: %w", err)
	}
	obj := conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
	call := obj.CallWithContext(ctx, "org.freedesktop.Notifications.Notify", 0,
		"Neurodesk", uint32(0), "neurodeskapp", title, body, []string{}, map[string]dbus.Variant{}, int32(-1))
	if call.Err != nil {
		return fmt.Errorf("show a notification: %w", call.Err)
	}
	return nil
}
