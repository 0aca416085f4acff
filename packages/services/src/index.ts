export * from './context.ts';
export * from './delivery/index.ts';
export * from './errors.ts';
export * from './notifications/index.ts';
