import { getTransaction } from '@koukan/db';
import { createTestDatabase, type TestDatabase } from '@koukan/db/testing';
import pino from 'pino';
import { afterAll, beforeAll, onTestFinished } from 'vitest';
import { startEngine } from '../engine.ts';
import type { AttemptRunner, EngineHandle, EngineOptions } from '../types.ts';

export const silent = pino({ level: process.env.ENGINE_TEST_LOG ?? 'silent' });

/** The test file's database, created before its tests and destroyed after them. */
export function databaseSuite(): TestDatabase {
  const t = {} as TestDatabase;
  beforeAll(async () => {
    Object.assign(t, await createTestDatabase());
  });
  afterAll(async () => {
    await t.destroy?.();
  });
  return t;
}

/** Starts an engine on the test database with test-friendly defaults; the caller stops it. */
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

/** An engine for the running test, stopped when the test finishes. */
export async function testEngine(...args: Parameters<typeof engineFor>): Promise<EngineHandle> {
  const engine = await engineFor(...args);
  onTestFinished(() => engine.stop());
  return engine;
}

export async function statusOf(t: TestDatabase, id: string) {
  return (await getTransaction(t.db, id))?.status;
}
