export {
  bodyFromBuffer,
  headerValue,
  prependHeaders,
  readHeaders,
  streamToBuffer,
} from './body.ts';
export { buildMessage, parseMessage } from './builder/index.ts';
export { builderBlobRefs } from './builder/schema.ts';
export { type CatalogueEntry, filterCatalogue, filterMeta } from './catalogue.ts';
export { type ChainResult, type RunChainOptions, runChain } from './chain.ts';
export { type DefaultChainOptions, defaultChains } from './defaults.ts';
export { DnsError, type DnsResolve, systemResolver, type ZoneEntry, zoneResolver } from './dns.ts';
export { copyOf, FilterCompletedError, type FilterContext, FilterTx } from './filter.ts';
export { lazyChild } from './lazy-logger.ts';
export { type FilterImpl, type FilterRun, filterRegistry } from './registry.ts';
export { accept, isFailure, perm, temp, verdictFromResponse } from './responses.ts';
export * from './schemas.ts';
export type * from './types.ts';
