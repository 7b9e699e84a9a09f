"""Jupyter server for the UI tests. Never use it for anything else: it opens
the server to anyone and exposes JupyterLab's objects on `window`."""

import os

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821
# Another port lets a second checkout run its UI tests beside this one.
c.ServerApp.port = int(os.environ.get("GALATA_PORT", "8888"))  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821  (CI runs as root)
