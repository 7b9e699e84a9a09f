#!/usr/bin/env bash
# Every test of jupyterlab-asyncresult: jest (frontend units), pytest (the
# bridge against a real kernel and cluster), Galata (a real JupyterLab in
# Debian's Chromium against a real cluster). Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
. scripts/env.sh

step "lint: eslint, prettier, stylelint, ruff"
npm run -s lint:check
ruff check .
ruff format --check .

step "jest: frontend unit tests"
npx jest

step "pytest: the kernel bridge against a real kernel and cluster"
python -m pytest tests -q -p no:cacheprovider

step "galata: the UI in Chromium against JupyterLab and Notebook 7, and a cluster of 2 engines"
export IPYTHONDIR="$root/.jupyter-test/ipython"
rm -rf "$root/.jupyter-test"
mkdir -p "$IPYTHONDIR"
stop_cluster() { ipcluster stop >/dev/null 2>&1 || true; }
trap stop_cluster EXIT
ipcluster start -n 2 --daemonize
(
  cd ui-tests
  if [ ! -d node_modules ]; then
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
  fi
  npx playwright test
)
echo "all tests passed"
