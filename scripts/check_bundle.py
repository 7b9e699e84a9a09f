"""Fail when the built labextension carries zeromq (a Node-only native
module that must never reach the browser bundle or its shared modules) or
the Node client of jupyterlab-asyncresult-node (the package's main entry,
which imports zeromq; the browser takes only its `/core`)."""

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
    # the builder shares every dependency unless told not to; shared, the
    # headless package's main entry (the Node client) would be offered to
    # other extensions, and provided from this one's bundle once imported
    if shared.get("jupyterlab-asyncresult-node") is not False:
        problems.append("package.json shares jupyterlab-asyncresult-node")
    for file in sorted((root / "static").glob("*.js")):
        text = file.read_text(errors="replace")
        for needle in ("node_modules/zeromq", '"zeromq"', "'zeromq'", "zeromq.node", "zmq.node"):
            if needle in text:
                problems.append(f"{file.name} contains {needle}")
        # the Node client's default connection file name, in no browser code
        if "ipcontroller-client.json" in text:
            problems.append(f"{file.name} contains the Node client (ipcontroller-client.json)")
    if problems:
        sys.exit("Node-only code leaked into the browser bundle:\n  " + "\n  ".join(problems))
    print(f"ok: no zeromq in {len(list((root / 'static').glob('*.js')))} bundle files")


if __name__ == "__main__":
    main(sys.argv[1])
