// the types of `jupyterlab-asyncresult/node`: see node.js
export * from 'jupyterlab-asyncresult-node';
