export { createChainRunner } from './chain-runner.ts';
export { startEngine } from './engine.ts';
export type * from './types.ts';
