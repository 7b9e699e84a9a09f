"""zeromq is Node-only: the browser bundle must never carry it."""

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


@pytest.mark.parametrize(
    "plant",
    [
        lambda d: (d / "static" / "planted.js").write_text('require("zeromq")'),
        lambda d: (d / "package.json").write_text(
            json.dumps({"jupyterlab": {"sharedPackages": {"zeromq": {"singleton": True}}}})
        ),
    ],
    ids=["bundled", "shared"],
)
def test_the_check_goes_red_when_zeromq_leaks(tmp_path, plant):
    copy = tmp_path / "ext"
    shutil.copytree(INSTALLED, copy)
    plant(copy)
    result = run_check(copy)
    assert result.returncode != 0
    assert "zeromq leaked into the browser bundle" in result.stderr
