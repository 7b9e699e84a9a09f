"""Fail when the built labextension carries zeromq (a Node-only native
module that must never reach the browser bundle or its shared modules)."""

import json
import pathlib
import sys


def main(path):
    root = pathlib.Path(path)
    package = root / "package.json"
    if not package.exists():
        sys.exit(f"no built labextension at {root}")
    shared = json.loads(package.read_text()).get("jupyterlab", {}).get("sharedPackages", {})
    problems = []
    if shared.get("zeromq", False) is not False:
        problems.append("package.json shares zeromq")
    for file in sorted((root / "static").glob("*.js")):
        text = file.read_text(errors="replace")
        for needle in ("node_modules/zeromq", '"zeromq"', "'zeromq'", "zeromq.node", "zmq.node"):
            if needle in text:
                problems.append(f"{file.name} contains {needle}")
    if problems:
        sys.exit("zeromq leaked into the browser bundle:\n  " + "\n  ".join(problems))
    print(f"ok: no zeromq in {len(list((root / 'static').glob('*.js')))} bundle files")


if __name__ == "__main__":
    main(sys.argv[1])
