import { createTestDatabase, type TestDatabase } from '@koukan/db/testing';
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import type { ServiceContext } from '../context.ts';

/**
 * A migrated database of this test file's own, created before its tests and dropped after them,
 * and a service context on it acting as `actor` (`extra`: a clock, a secrets key, DNS…). Both
 * are filled in by a `beforeAll` registered here, so call this before the file's own hooks and
 * use them inside tests and hooks.
 */
export function useTestDatabase(
  actor: string,
  extra: Omit<Partial<ServiceContext>, 'db'> = {},
): { t: TestDatabase; ctx: ServiceContext } {
  const t = {} as TestDatabase;
  const ctx = { logger: pino({ level: 'silent' }), actor, ...extra } as ServiceContext;
  beforeAll(async () => {
    Object.assign(t, await createTestDatabase());
    ctx.db = t.db;
  });
  afterAll(() => t.destroy?.());
  return { t, ctx };
}
