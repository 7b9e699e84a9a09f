"""zeromq and the Node client are Node-only: the browser bundle must never carry them."""

import json
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHECK = ROOT / "scripts" / "check_bundle.py"
INSTALLED = (
    pathlib.Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "jupyterlab-asyncresult"
)


def run_check(path):
    return subprocess.run([sys.executable, str(CHECK), str(path)], capture_output=True, text=True)


def test_the_installed_labextension_has_no_zeromq():
    assert (INSTALLED / "package.json").exists(), "install the package first (pip install .)"
    result = run_check(INSTALLED)
    assert result.returncode == 0, result.stderr
    assert "ok: no zeromq" in result.stdout


def share_headless(ext):
    """The built package.json with the builder's default for the headless package: shared."""
    package = json.loads((ext / "package.json").read_text())
    del package["jupyterlab"]["sharedPackages"]["jupyterlab-asyncresult-node"]
    (ext / "package.json").write_text(json.dumps(package))


@pytest.mark.parametrize(
    "plant",
    [
        lambda d: (d / "static" / "planted.js").write_text('require("zeromq")'),
        lambda d: (d / "package.json").write_text(
            json.dumps({"jupyterlab": {"sharedPackages": {"zeromq": {"singleton": True}}}})
        ),
        lambda d: (d / "static" / "planted.js").write_text('const f = "ipcontroller-client.json"'),
        lambda d: share_headless(d),
    ],
    ids=["bundled", "shared", "node-client", "headless-shared"],
)
def test_the_check_goes_red_when_zeromq_leaks(tmp_path, plant):
    copy = tmp_path / "ext"
    shutil.copytree(INSTALLED, copy)
    plant(copy)
    result = run_check(copy)
    assert result.returncode != 0
    assert "Node-only code leaked into the browser bundle" in result.stderr
