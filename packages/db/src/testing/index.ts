export { deliveredOutcome, ensureChain, uniqueName } from './factories.ts';
export { createTestDatabase, type TestDatabase } from './test-database.ts';
