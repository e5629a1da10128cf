# The test image's Jupyter configuration, where the Neurodesktop image keeps
# its own: docker-stacks' images/base-notebook/jupyter_server_config.py, and
# the parts of Neurodesktop's jupyter_notebook_config.py.template that change
# what the app sees. See docs/image-contract.md.
import os

c = get_config()  # noqa: F821
# docker-stacks: every interface inside the container, no browser.
c.ServerApp.ip = ""
c.ServerApp.open_browser = False
c.FileContentsManager.delete_to_trash = False
# Neurodesktop: start in the working folder, show hidden files, bash in
# terminals, and no framing by other origins.
c.ServerApp.preferred_dir = os.getcwd()
c.FileContentsManager.allow_hidden = True
c.ServerApp.terminado_settings = {"shell_command": ["/bin/bash"]}
c.ServerApp.tornado_settings = {"headers": {"Content-Security-Policy": "frame-ancestors 'self'"}}
# The tests' pages, and /neurodesktop/ where jupyter-server-proxy serves the
# desktop in the real image.
c.ServerApp.jpserver_extensions = {"neurodesk_test": True}
