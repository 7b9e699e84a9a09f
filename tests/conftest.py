import contextlib
import os
import sys
import uuid

import pytest

sys.path.insert(0, os.path.dirname(__file__))


@contextlib.contextmanager
def local_cluster(n):
    """A real ipyparallel cluster on this machine: a controller, n engines,
    and a connected Client; stopped on exit."""
    import ipyparallel as ipp

    cluster = ipp.Cluster(n=n, log_level=40)
    client = cluster.start_and_connect_sync()
    client.wait_for_engines(n, timeout=120)
    try:
        yield cluster, client
    finally:
        client.close()
        cluster.stop_cluster_sync()


@pytest.fixture(scope="session")
def cluster():
    """The shared cluster: 2 engines (the honest size for 2 cores)."""
    with local_cluster(2) as both:
        yield both


@pytest.fixture()
def kernel(cluster):
    """A fresh IPython kernel (the bridge autoloads from the startup file)
    with `rc`, `lview`, `dview` connected to the test cluster."""
    from kernel_driver import KernelDriver

    c, _ = cluster
    driver = KernelDriver()
    driver.execute(
        "import ipyparallel as ipp\n"
        f"rc = ipp.Client(profile_dir={c.profile_dir!r}, cluster_id={c.cluster_id!r})\n"
        "rc.wait_for_engines(2, timeout=60)\n"
        "lview = rc.load_balanced_view()\n"
        "dview = rc[:]\n"
    )
    yield driver
    try:
        driver.execute("rc.close()", timeout=20)
    except Exception:
        pass
    driver.shutdown()


@pytest.fixture()
def barrier(tmp_path):
    """A file the engines' `hold` (holding.py) waits for; released at
    teardown whatever happened, so a failed test never leaves an engine held."""
    from holding import release

    path = str(tmp_path / f"barrier-{uuid.uuid4().hex}")
    yield path
    release(path)
