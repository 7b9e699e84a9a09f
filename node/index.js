// `jupyterlab-asyncresult/node`: the headless client, which lives in the
// workspace package jupyterlab-asyncresult-node; kept so that code written
// against the extension package's Node entry point goes on working.
module.exports = require('jupyterlab-asyncresult-node');
