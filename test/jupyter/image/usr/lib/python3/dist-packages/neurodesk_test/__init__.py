"""Pages the app's window tests control, served by the real Jupyter Server 2.

desktop.py serves the Linux desktop at the routes the real image has.
/neurodesk-test/page is a page that opens windows, offers downloads, takes
uploads through Jupyter's contents API, and records the keys it receives in
received-keys.txt in the data folder; /neurodesk-test/window/ is another page
of the session, which it opens in a window of its own.

When the data folder holds .neurodesk-test-lab-page as the server starts,
that page is also served at /lab in place of JupyterLab: the window tests of
the web view's own mechanics (keys, new windows, downloads) need a page
whose every event they can read. All other tests see the real JupyterLab 4.
"""
import os

from jupyter_server.base.handlers import JupyterHandler
from tornado import web
from tornado.routing import PathMatches, Rule

from . import desktop

PAGE = os.path.join(os.path.dirname(__file__), "page.html")
KEYS = "received-keys.txt"
STORAGE = "/neurodesktop-storage"
LAB_PAGE_MARKER = STORAGE + "/.neurodesk-test-lab-page"


class Page(JupyterHandler):
    def initialize(self, title):
        self.title = title

    @web.authenticated
    def get(self):
        with open(PAGE, encoding="utf-8") as f:
            page = f.read()
        self.set_header("Content-Type", "text/html; charset=utf-8")
        xsrf = self.xsrf_token.decode() if isinstance(self.xsrf_token, bytes) else self.xsrf_token
        self.finish(page.replace("{{TITLE}}", self.title).replace("{{XSRF}}", xsrf))


class AddSlash(JupyterHandler):
    @web.authenticated
    @web.addslash
    def get(self):
        pass


class Keys(JupyterHandler):
    @web.authenticated
    def post(self):
        with open(os.path.join(STORAGE, KEYS), "a", encoding="utf-8") as f:
            f.write(self.request.body.decode("utf-8") + "\n")
        self.finish("recorded")


class Attachment(JupyterHandler):
    @web.authenticated
    def get(self):
        self.set_header("Content-Type", "text/csv")
        self.set_header("Content-Disposition", 'attachment; filename="results.csv"')
        self.finish("subject,score\n1,42\n")


def _jupyter_server_extension_points():
    return [{"module": "neurodesk_test"}]


def _load_jupyter_server_extension(serverapp):
    app = serverapp.web_app
    base = app.settings["base_url"].rstrip("/")
    app.add_handlers(".*$", desktop.handlers(base, serverapp.log) + [
        (base + "/neurodesk-test/window", AddSlash),
        (base + "/neurodesk-test/window/", Page, {"title": "Session page"}),
        (base + "/neurodesk-test/page", Page, {"title": "JupyterLab"}),
        (base + "/neurodesk-test/keys", Keys),
        (base + "/neurodesk-test/attachment", Attachment),
    ])
    if os.path.exists(LAB_PAGE_MARKER):
        # First among the rules, ahead of JupyterLab's own /lab.
        app.default_router.rules.insert(0, Rule(PathMatches(base + "/lab"), Page, {"title": "JupyterLab"}))
        serverapp.log.info("neurodesk_test: the test page stands in for /lab")
    serverapp.log.info("neurodesk_test: pages at /neurodesk-test/page and /neurodesk-test/window/")
