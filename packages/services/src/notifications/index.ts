export * from './create-dsn.ts';
export * from './dsn.ts';
export * from './dsn-params.ts';
export * from './due.ts';
