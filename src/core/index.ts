export * from './protocol';
export * from './taskStore';
export * from './asyncResult';
export * from './errors';
