export { createExploderFilter } from './exploder-filter.ts';
