import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

/**
 * The test file's own database (`createTestDatabase`), created before its tests and destroyed
 * after them: `const t = useTestDatabase();` at the top of the file, then `t.db`, `t.pool` and
 * `t.url` in the tests. (Not in `index.ts`: scripts outside vitest import that.)
 */
export function useTestDatabase(options?: Parameters<typeof createTestDatabase>[0]): TestDatabase {
  const t = {} as TestDatabase;
  beforeAll(async () => {
    Object.assign(t, await createTestDatabase(options));
  }, 180_000); // PGlite starts slowly on a busy machine
  afterAll(() => t.destroy?.());
  return t;
}
