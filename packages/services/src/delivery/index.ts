export * from './bulk.ts';
export * from './bulk-count.ts';
export * from './bulk-schemas.ts';
export * from './decide.ts';
export * from './record-outcome.ts';
export * from './transition.ts';
export * from './verdict.ts';
