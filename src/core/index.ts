export * from './protocol';
export * from './taskStore';
export * from './asyncResult';
export * from './errors';
export * from './asyncMapResult';
export * from './asyncHubResult';
export * from './proxies';
export * from './outputs';
