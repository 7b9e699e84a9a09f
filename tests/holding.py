"""Barriers for holding engines mid-run: `hold(path)` runs on an engine
and waits until the test creates `path`; `started(path, n)` waits in the
kernel until n holds have begun (the `barrier` fixture, in conftest.py,
gives a path and releases it at teardown). A state held this way stays held however
busy the machine is, where a sleep would only guess."""

HOLD = (
    "def hold(path):\n"
    "    import os, time\n"
    "    open(f'{path}.{os.getpid()}.started', 'w').close()\n"
    "    deadline = time.monotonic() + 300  # a failed test must not hold an engine forever\n"
    "    while not os.path.exists(path) and time.monotonic() < deadline:\n"
    "        time.sleep(0.02)\n"
    "    return path\n"
    "def started(path, n):\n"
    "    import glob, time\n"
    "    deadline = time.monotonic() + 120\n"
    "    while len(glob.glob(path + '.*.started')) < n and time.monotonic() < deadline:\n"
    "        time.sleep(0.02)\n"
)


def release(path):
    with open(path, "w") as f:
        f.write("go")
