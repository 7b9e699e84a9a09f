# Sourced by scripts/run.sh and scripts/test.sh: makes .venv with the project
# and its test tools installed, and Debian's Chromium present.
step() { printf '\n=== %s\n' "$*"; }

if [ ! -x /usr/bin/chromium ]; then
  step "installing Debian's chromium (needs root)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
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
