"""Zero-configuration start, run from IPython's startup directory.

The wheel installs `etc/ipython/startup/50-jupyterlab-asyncresult.py`, which
calls `autoload()` in every IPython. It loads the `%ar` magics in every
IPython but an ipyparallel engine, and starts the bridge only in a Jupyter
kernel; neither when the environment variable JUPYTERLAB_ASYNCRESULT is "0". It imports nothing heavy: the
bridge patches ipyparallel when (and if) the user imports it.
"""

import os


def is_engine(kernel):
    """Whether this kernel is an ipyparallel engine (which we never touch)."""
    return type(kernel).__module__.startswith("ipyparallel")


def autoload():
    if os.environ.get("JUPYTERLAB_ASYNCRESULT", "1").strip().lower() in ("0", "false", "off", "no"):
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    if ip is None:
        return False
    kernel = getattr(ip, "kernel", None)
    if kernel is not None and is_engine(kernel):
        return False
    if "jupyterlab_asyncresult" in ip.extension_manager.loaded:
        return False
    ip.extension_manager.load_extension("jupyterlab_asyncresult")
    return True
