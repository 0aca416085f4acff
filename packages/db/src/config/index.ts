export { exportDomains, type KeyConflict, keyConflicts } from './domains.ts';
export { exportConfig } from './export.ts';
export { type ImportResult, importConfig } from './import.ts';
export { type ParseOptions, parseConfig } from './parse.ts';
export * from './schema.ts';
