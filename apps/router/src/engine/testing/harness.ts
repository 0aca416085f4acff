import { getTransaction } from '@koukan/db';
import type { TestDatabase } from '@koukan/db/testing';
import pino from 'pino';
import { startEngine } from '../engine.ts';
import type { AttemptRunner, EngineHandle, EngineOptions } from '../types.ts';

export const silent = pino({ level: process.env.ENGINE_TEST_LOG ?? 'silent' });

/** Starts an engine on the test database with test-friendly defaults; stop it in `finally`. */
export function engineFor(
  t: TestDatabase,
  runner: AttemptRunner,
  overrides: Partial<EngineOptions> = {},
): Promise<EngineHandle> {
  return startEngine({
    db: t.db,
    pool: t.pool,
    logger: silent,
    runner,
    dsn: { reportingMta: 'mx.koukan.test' },
    pollIntervalMs: 50,
    retention: false,
    ...overrides,
  });
}

export async function statusOf(t: TestDatabase, id: string) {
  return (await getTransaction(t.db, id))?.status;
}
