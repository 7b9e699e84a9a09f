#!/usr/bin/env bash
# Benchmark: 10,000 one-millisecond tasks through a load-balanced map with
# `ar.wait_interactive()` in JupyterLab (Debian's Chromium), our progress
# widget showing, against the same with the kernel bridge off (plain
# ipyparallel: its tqdm widget). Interleaved pairs; see BENCHMARKS.md.
#
#   bash bench/progress_widget.sh [pairs=5] [tasks=10000] [mode=display|wait]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
pairs=${1:-5}
tasks=${2:-10000}
mode=${3:-display}
. scripts/env.sh
if [ ! -d ui-tests/node_modules ]; then
  (cd ui-tests && npm ci --no-audit --no-fund)
fi

work=$(mktemp -d)
export IPYTHONDIR="$work/ipython"
export JUPYTER_CONFIG_DIR="$work/config"
export JUPYTER_DATA_DIR="$work/data"
mkdir -p "$IPYTHONDIR" "$work/notebooks" "$JUPYTER_DATA_DIR/kernels/python3-plain"
# the "without" kernel: the same Python, the bridge kept out
python - "$JUPYTER_DATA_DIR/kernels/python3-plain/kernel.json" <<'EOF'
import json, sys
json.dump({
    "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
    "display_name": "Python 3 (no jupyterlab-asyncresult)",
    "language": "python",
    "env": {"JUPYTERLAB_ASYNCRESULT": "0"},
}, open(sys.argv[1], "w"))
EOF

port=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() {
  [ -n "${lab:-}" ] && kill "$lab" 2>/dev/null || true
  ipcluster stop --cluster-id=bench >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

step "starting a cluster of 2 engines"
ipcluster start -n 2 --daemonize --cluster-id=bench
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

step "running $pairs interleaved pairs of $tasks tasks ($mode)"
node bench/progress_widget.js --port "$port" --pairs "$pairs" --tasks "$tasks" --mode "$mode" \
  --profile-dir "$IPYTHONDIR/profile_default" --cluster-id bench ${CPU_PROFILE:+--cpu-profile "$CPU_PROFILE"} ${HIDE_WIDGET:+--hide-widget 1}
