export * from './bulk.ts';
export * from './cancel.ts';
export * from './decide.ts';
export * from './hold.ts';
export * from './record-outcome.ts';
export * from './release.ts';
export * from './retry-now.ts';
export * from './verdict.ts';
