/**
 * The Node side of jupyterlab-asyncresult: a TypeScript client of an
 * ipyparallel controller over ZeroMQ. Never imported by the browser bundle.
 */
export * from '../core';
export * from './connectionFile';
export * from './session';
export * from './transport';
export * from './taskBook';
export * from './hubQueries';
export * from './clientRequests';
export * from './views';
export * from './client';
export * from './controllerWatch';
export * from './engineActivity';
export * from './clientContext';
export * from './jsonCalls';
export * from './clusterSnapshot';
