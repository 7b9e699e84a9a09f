#!/usr/bin/env bash
# The main job: install everything into .venv, start a local ipyparallel
# cluster of 4 engines, and open JupyterLab on the demo notebook.
# Ctrl-C stops JupyterLab and the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

step "starting a local ipyparallel cluster of 4 engines"
ipcluster start -n 4 --daemonize
trap 'ipcluster stop >/dev/null 2>&1 || true' EXIT

step "opening JupyterLab on examples/demo.ipynb"
extra=()
[ "$(id -u)" = 0 ] && extra+=(--allow-root)
jupyter lab examples/demo.ipynb "${extra[@]}" "$@"
