#!/usr/bin/python3
"""A program to drag files from, as a file manager is: a small window in
the screen's bottom right corner whose label drags its arguments as a
text/uri-list (GTK's XDND, as Nautilus or Thunar offer files)."""
import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, GLib, Gtk  # noqa: E402

uris = [GLib.filename_to_uri(p, None) for p in sys.argv[1:]]
win = Gtk.Window(title="drag source")
win.set_default_size(300, 100)
win.move(1095, 798)
box = Gtk.EventBox()
box.add(Gtk.Label(label="drag me"))
box.drag_source_set(Gdk.ModifierType.BUTTON1_MASK, [], Gdk.DragAction.COPY)
box.drag_source_add_uri_targets()
box.connect("drag-data-get", lambda _w, _ctx, data, _info, _time: data.set_uris(uris))
win.add(box)
win.connect("destroy", Gtk.main_quit)
win.show_all()
Gtk.main()
