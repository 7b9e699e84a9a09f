"""jupyterlab-asyncresult: live ipyparallel AsyncResults in JupyterLab.

The Python side is the kernel bridge (an IPython extension) and the prebuilt
labextension.
"""

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "0.0.0.dev0"

_bridge = None


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyterlab-asyncresult"}]


def load_ipython_extension(ip):
    """`%load_ext jupyterlab_asyncresult`: start the bridge in this kernel."""
    global _bridge
    kernel = getattr(ip, "kernel", None)
    if kernel is None or _bridge is not None:
        return
    from .bridge import Bridge

    _bridge = Bridge(kernel)
    _bridge.start()


def unload_ipython_extension(ip):
    global _bridge
    if _bridge is not None:
        from . import hooks

        _bridge.stop()
        hooks.uninstall()
        _bridge = None


def get_bridge():
    """The bridge of this kernel, or None when it is not running."""
    return _bridge
