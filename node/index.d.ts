// the types of `jupyterlab-asyncresult/node`: see index.js
export * from 'jupyterlab-asyncresult-node';
