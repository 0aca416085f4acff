export { domainToConfig, exportDomains, type KeyConflict, keyConflicts } from './domains.ts';
export { exportConfig, exportConfigObject } from './export.ts';
export { type ImportResult, importConfig } from './import.ts';
export { type ParseOptions, parseConfig, upgradeLegacyConfig, validateConfig } from './parse.ts';
export * from './schema.ts';
