"""Pages the app's window tests control, served by a real Jupyter server.

/lab and /neurodesktop stand in for JupyterLab and the proxied desktop:
both are the same page (page.html), which opens windows, offers downloads,
takes uploads through Jupyter's contents API, and records the keys it
receives in received-keys.txt in the data folder, where the tests read them.
"""
import os

from notebook.base.handlers import IPythonHandler
from notebook.utils import url_path_join
from tornado import web

PAGE = "/usr/local/share/neurodesk-test/page.html"
KEYS = "received-keys.txt"


class Page(IPythonHandler):
    def initialize(self, title):
        self.title = title

    @web.authenticated
    def get(self):
        with open(PAGE, encoding="utf-8") as f:
            page = f.read()
        self.set_header("Content-Type", "text/html; charset=utf-8")
        xsrf = self.xsrf_token.decode() if isinstance(self.xsrf_token, bytes) else self.xsrf_token
        self.finish(page.replace("{{TITLE}}", self.title).replace("{{XSRF}}", xsrf))


class Keys(IPythonHandler):
    @web.authenticated
    def post(self):
        with open(os.path.join(self.settings["server_root_dir"], KEYS), "a", encoding="utf-8") as f:
            f.write(self.request.body.decode("utf-8") + "\n")
        self.finish("recorded")


class Attachment(IPythonHandler):
    @web.authenticated
    def get(self):
        self.set_header("Content-Type", "text/csv")
        self.set_header("Content-Disposition", 'attachment; filename="results.csv"')
        self.finish("subject,score\n1,42\n")


def load_jupyter_server_extension(nbapp):
    app = nbapp.web_app
    base = app.settings["base_url"]
    app.add_handlers(".*$", [
        (url_path_join(base, "/lab"), Page, {"title": "JupyterLab"}),
        (url_path_join(base, "/neurodesktop"), Page, {"title": "Neurodesktop"}),
        (url_path_join(base, "/neurodesk-test/keys"), Keys),
        (url_path_join(base, "/neurodesk-test/attachment"), Attachment),
    ])
    nbapp.log.info("neurodesk_test pages at /lab and /neurodesktop")
