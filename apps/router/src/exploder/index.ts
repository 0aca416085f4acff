export { createExploderFilter, type ExploderDeps } from './exploder-filter.ts';
export { type FanIn, fanIn, type UpstreamOutcome, upstreamOutcome } from './fan-in.ts';
