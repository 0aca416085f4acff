export { createChainRunner, toStoredResponse } from './chain-runner.ts';
export type { ConfigCache } from './config-cache.ts';
export { startEngine } from './engine.ts';
export type { RetentionResult } from './retention.ts';
export type * from './types.ts';
