#!/usr/bin/env bash
# Benchmark: the grouped outputs view drawing 64 engines x 1,000 lines in
# JupyterLab (Debian's Chromium), against the same outputs as plain
# ipyparallel's text dump. No cluster: a synthetic feed. See BENCHMARKS.md.
#
#   bash bench/outputs_view.sh [runs=10] [engines=64] [lines=1000]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
engines=${2:-64}
lines=${3:-1000}
. scripts/env.sh
if [ ! -d ui-tests/node_modules ]; then
  (cd ui-tests && npm ci --no-audit --no-fund)
fi

work=$(mktemp -d)
export JUPYTER_CONFIG_DIR="$work/config"
mkdir -p "$work/notebooks"
port=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() {
  [ -n "${lab:-}" ] && kill "$lab" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

step "starting JupyterLab on port $port"
extra=()
[ "$(id -u)" = 0 ] && extra+=(--allow-root)
jupyter lab --no-browser --port "$port" --ServerApp.token= --ServerApp.password= \
  --ServerApp.root_dir="$work/notebooks" --ServerApp.disable_check_xsrf=True --LabApp.expose_app_in_browser=True \
  "${extra[@]}" >"$work/lab.log" 2>&1 &
lab=$!
for _ in $(seq 120); do
  curl -sf "http://127.0.0.1:$port/api/status" >/dev/null && break
  sleep 0.5
done

step "drawing $engines engines x $lines lines, $runs runs each side"
node bench/outputs_view.js --port "$port" --runs "$runs" --engines "$engines" --lines "$lines"
