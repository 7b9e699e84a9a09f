# Installed by jupyterlab-asyncresult: starts its kernel bridge in Jupyter
# kernels (never in ipyparallel engines). Set JUPYTERLAB_ASYNCRESULT=0 to skip.
def _jupyterlab_asyncresult_autoload():
    try:
        from jupyterlab_asyncresult.autoload import autoload
    except ImportError:
        return
    try:
        autoload()
    except Exception as e:  # never break a kernel's start-up
        import sys

        print(f"jupyterlab-asyncresult: bridge not started: {e}", file=sys.stderr)


_jupyterlab_asyncresult_autoload()
del _jupyterlab_asyncresult_autoload
