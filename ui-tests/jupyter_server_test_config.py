"""Jupyter server for the UI tests. Never use it for anything else: it opens
the server to anyone and exposes JupyterLab's objects on `window`."""

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821  (CI runs as root)
