"""jupyterlab-asyncresult: live ipyparallel AsyncResults in JupyterLab.

The Python side is the kernel bridge (an IPython extension) and the prebuilt
labextension.
"""

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "0.0.0.dev0"

_bridge = None
_book = None


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyterlab-asyncresult"}]


def load_ipython_extension(ip):
    """`%load_ext jupyterlab_asyncresult`: the `%ar` magics in any IPython,
    and the bridge to JupyterLab in a Jupyter kernel."""
    global _bridge, _book
    if _book is None:
        from .book import ResultBook
        from .magics import AsyncResultMagics

        _book = ResultBook(ip)
        _book.open()
        magics = AsyncResultMagics(ip, _book, get_bridge)
        ip.register_magics(magics)
        for key in ("%ar", "%%ar"):
            ip.set_hook("complete_command", magics.complete, str_key=key)
    kernel = getattr(ip, "kernel", None)
    if kernel is None or _bridge is not None:
        return
    from .bridge import Bridge

    _bridge = Bridge(kernel)
    _bridge.start()


def unload_ipython_extension(ip):
    global _bridge, _book
    from . import hooks, labels

    if _book is not None:
        _book.close()
        _book = None
    if _bridge is not None:
        _bridge.stop()
        _bridge = None
    hooks.uninstall()
    labels.unpatch()


def get_bridge():
    """The bridge of this kernel, or None when it is not running."""
    return _bridge
