export * from './protocol';
export * from './taskStore';
