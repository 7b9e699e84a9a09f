"""Jupyter Notebook 7 server for the UI tests of the Notebook 7 host. As open
as the JupyterLab one beside it (same Galata settings): never use it for
anything else."""

import os

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821
# Its own port, next to the JupyterLab test server's (GALATA_PORT) and
# clear of it: 100 above, so that checkouts running side by side differ.
c.ServerApp.port = int(os.environ.get("GALATA_PORT", "8888")) + 100  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821  (CI runs as root)
# window.jupyterapp, as Galata's settings give it in JupyterLab
c.JupyterNotebookApp.expose_app_in_browser = True  # noqa: F821
