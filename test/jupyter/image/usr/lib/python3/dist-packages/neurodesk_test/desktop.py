"""The Linux desktop as the Neurodesktop image serves it, for the app's tests.

The real image registers its desktop with jupyter-server-proxy
(config/jupyter/jupyter_notebook_config.py.template in neurodesk/neurodesktop,
lines 65-114 at 98bd47d): the servers neurodesktop-rdp and neurodesktop-vnc,
and neurodesktop, the hidden historical route, each a Guacamole web client in
front of xrdp or TigerVNC. Neither jupyter-server-proxy nor Guacamole is
packaged by Debian, so this module serves the same URL shape:

  GET /server-proxy/servers-info   jupyter-server-proxy's list (api.py:8-35)
  GET /<name>                      redirects to /<name>/ (its AddSlashHandler)
  GET /<name>/                     the desktop's web client
  WS  /<name>/websockify           the client's connection to the desktop

in front of a real desktop: TigerVNC's Xvnc with openbox and an xterm, started
on a route's first request as jupyter-server-proxy starts a server, one stack
per route as in the image. The client is noVNC's (the closest packaged one to
Guacamole's) and syncs the clipboard as Guacamole 1.6 does: the local
clipboard is read with navigator.clipboard on load, focus, copy and cut.

Which image it stands for is read from the data folder's
.neurodesk-test-desktop as the server starts: 2026-09 and 2026-08 (the rdp and
vnc routes listed, the alias hidden; RDP hidden when unprivileged under
Apptainer, as _rdp_launcher_enabled() does), or 2026-04 (only /neurodesktop/,
as before 2026-05-19).
"""
import asyncio
import base64
import json
import os
import socket
import subprocess

from jupyter_server.base.handlers import AuthenticatedFileHandler, JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado import web
from tornado.iostream import StreamClosedError
from tornado.tcpclient import TCPClient
from tornado.websocket import WebSocketHandler

STORAGE = "/neurodesktop-storage"
VARIANT_FILE = STORAGE + "/.neurodesk-test-desktop"
NOVNC = "/usr/share/novnc"
HERE = os.path.dirname(__file__)


def variant():
    try:
        with open(VARIANT_FILE, encoding="utf-8") as f:
            return f.read().strip() or "2026-09"
    except OSError:
        return "2026-09"


def apptainer_unprivileged():
    """The image's _is_apptainer_runtime() and geteuid() != 0 (template :41-62)."""
    names = ("SINGULARITY_NAME", "APPTAINER_NAME", "APPTAINER_CONTAINER",
             "SINGULARITY_CONTAINER", "APPTAINER_COMMAND", "SINGULARITY_COMMAND")
    inside = any(os.environ.get(n) for n in names) or os.path.isdir("/.apptainer.d") or os.path.isdir("/.singularity.d")
    return inside and os.geteuid() != 0


def servers(v):
    """The image's c.ServerProxy.servers, as servers-info reports them."""
    def entry(name, title, enabled, backend):
        return {"name": name, "backend": backend, "launcher_entry": {
            "enabled": enabled, "title": title, "path_info": name, "category": "Neurodesk",
            "icon_url": "/server-proxy/icon/" + name}, "new_browser_tab": True}
    if v == "2026-04":
        return [entry("neurodesktop", "Neurodesktop", True, "rdp")]
    return [
        entry("neurodesktop-rdp", "Neurodesktop RDP", not apptainer_unprivileged(), "rdp"),
        entry("neurodesktop-vnc", "Neurodesktop VNC", True, "vnc"),
        # "Preserve the historical /neurodesktop route for old links
        # without adding a third launcher tile."
        entry("neurodesktop", "Neurodesktop", False, "rdp"),
        {"name": "vscode", "launcher_entry": {"enabled": True, "title": "VS Code", "path_info": "vscode",
                                              "category": "Neurodesk"}, "new_browser_tab": True},
    ]


class Stack:
    """One route's desktop: an X server with a window manager and a terminal."""

    def __init__(self, name, display, backend):
        self.name, self.display, self.backend = name, display, backend
        self.port = 5900 + display
        self.procs = []
        self.lock = asyncio.Lock()

    def up(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    async def start(self, log):
        async with self.lock:
            if self.procs and self.up():
                return True
            if self.backend == "rdp" and apptainer_unprivileged():
                return False  # xrdp cannot start unprivileged (guacamole.sh:425-438)
            home = os.path.expanduser("~")
            out = open(f"/tmp/neurodesktop-{self.name}.log", "ab")
            # -localhost: only this container reaches it. No VNC password:
            # the route is behind Jupyter's token, as Guacamole is.
            self.procs.append(subprocess.Popen(
                ["Xvnc", f":{self.display}", "-rfbport", str(self.port), "-localhost", "-SecurityTypes", "None",
                 "-geometry", "1280x800", "-AlwaysShared", "-AcceptSetDesktopSize", "-BlacklistThreshold", "1000000"],
                stdout=out, stderr=out, cwd=home, start_new_session=True))
            for _ in range(100):
                if self.up():
                    break
                await asyncio.sleep(0.1)
            env = dict(os.environ, DISPLAY=f":{self.display}")
            for cmd in (["openbox"], ["vncconfig", "-nowin"],
                        ["xterm", "-title", "Terminal", "-fa", "DejaVu Sans Mono", "-fs", "13", "-geometry", "90x24+60+60"]):
                self.procs.append(subprocess.Popen(cmd, stdout=out, stderr=out, cwd=home, env=env, start_new_session=True))
            log.info("neurodesk_test: desktop %s on display :%d (%s)", self.name, self.display, self.backend)
            return self.up()


class ServersInfo(JupyterHandler):
    def initialize(self, listed):
        self.listed = listed

    @web.authenticated
    def get(self):
        public = [{k: v for k, v in s.items() if k != "backend"} for s in self.listed]
        self.finish({"server_processes": public})


class AddSlash(JupyterHandler):
    @web.authenticated
    @web.addslash
    def get(self):
        pass


class Client(JupyterHandler):
    def initialize(self, server, stack):
        self.server, self.stack = server, stack

    @web.authenticated
    async def get(self):
        ok = await self.stack.start(self.log)
        with open(os.path.join(HERE, "desktop.html"), encoding="utf-8") as f:
            page = f.read()
        title = self.server["launcher_entry"]["title"]
        xsrf = self.xsrf_token.decode() if isinstance(self.xsrf_token, bytes) else self.xsrf_token
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(page.replace("{{TITLE}}", title).replace("{{CONNECTIONS}}", "1" if ok else "0").replace("{{XSRF}}", xsrf))


class ClientLog(JupyterHandler):
    """What the desktop's client did (connected, the clipboard), for tests."""

    def initialize(self, stack):
        self.stack = stack

    @web.authenticated
    def post(self):
        with open(f"/tmp/neurodesktop-{self.stack.name}-client.log", "a", encoding="utf-8") as f:
            f.write(self.request.body.decode("utf-8", "replace")[:200] + "\n")
        self.finish("recorded")


class Relay(WebSocketMixin, WebSocketHandler, JupyterHandler):
    """The client's WebSocket to the desktop's VNC port, as websockify relays."""

    def initialize(self, stack):
        self.stack = stack
        self.stream = None

    async def get(self, *args, **kwargs):
        if self.current_user is None:
            raise web.HTTPError(403)
        if not await self.stack.start(self.log):
            raise web.HTTPError(503, "the desktop is not running")
        return await super().get(*args, **kwargs)

    def select_subprotocol(self, subprotocols):
        return "binary" if "binary" in subprotocols else None

    async def open(self, *args, **kwargs):
        self.stream = await TCPClient().connect("127.0.0.1", self.stack.port)
        asyncio.ensure_future(self.pump())

    async def pump(self):
        try:
            while True:
                data = await self.stream.read_bytes(65536, partial=True)
                await self.write_message(data, binary=True)
        except (StreamClosedError, Exception):
            self.close()

    async def on_message(self, message):
        if self.stream is not None:
            await self.stream.write(message if isinstance(message, bytes) else message.encode())

    def on_close(self):
        if self.stream is not None:
            self.stream.close()


def handlers(base, log):
    v = variant()
    listed = servers(v)
    log.info("neurodesk_test: desktop routes as an image of %s: %s", v,
             json.dumps({s["name"]: s["launcher_entry"]["enabled"] for s in listed}))
    rules = [(base + "/server-proxy/servers-info", ServersInfo, {"listed": listed})]
    display = 1
    for s in listed:
        if "backend" not in s:
            continue  # vscode: listed, not served here
        stack = Stack(s["name"], display, s["backend"])
        display += 1
        route = base + "/" + s["name"]
        rules += [
            (route, AddSlash),
            (route + "/", Client, {"server": s, "stack": stack}),
            (route + "/websockify", Relay, {"stack": stack}),
            (route + "/client-log", ClientLog, {"stack": stack}),
            (route + "/novnc/(.*)", AuthenticatedFileHandler, {"path": NOVNC}),
        ]
    return rules
