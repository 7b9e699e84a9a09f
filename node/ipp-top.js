#!/usr/bin/env node
// `npx ipp-top` where the extension package was installed (from git, say):
// the monitor is the headless package's, bundled with this one
require('jupyterlab-asyncresult-node/cli');
