export * from './create-dsn.ts';
export * from './dsn.ts';
