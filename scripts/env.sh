# Sourced by scripts/run.sh and scripts/test.sh: makes .venv with the project
# and its test tools installed, and Debian's Chromium present.
step() { printf '\n=== %s\n' "$*"; }

# chromium for the browser tests; iproute2 (`ip`) for the test that puts an
# engine in a network namespace of its own and cuts its link
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v ip >/dev/null 2>&1 || missing="$missing iproute2"
if [ -n "$missing" ]; then
  step "installing Debian's$missing (needs root)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -x .venv/bin/python ]; then
  step "creating .venv"
  python3 -m venv .venv
fi
. .venv/bin/activate

step "installing node packages and jupyterlab_asyncresult into .venv"
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi
# a fresh labextension build each time, so the tests see the current source
rm -rf jupyterlab_asyncresult/labextension
pip install -q --disable-pip-version-check ".[test]"
