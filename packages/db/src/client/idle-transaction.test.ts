import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../testing/use-test-database.ts';
import { createDb } from './create-db.ts';

/**
 * Issue 10 item 2: a pool session left idle inside a transaction is ended, on real PostgreSQL
 * (idle_in_transaction_session_timeout, set by createDb as the router's pool does) and on the
 * embedded server (its own limit; the setting is not passed to PGlite).
 */
const t = useTestDatabase({ migrate: false });

describe('idle in transaction', () => {
  it('a session idle in BEGIN is ended, and the pool serves the next caller', async () => {
    const handle = createDb({ url: t.url, poolSize: 2, idleInTransactionTimeoutMs: 500 });
    try {
      if (t.kind === 'postgres') {
        const { rows } = await handle.pool.query<{ v: string }>(
          "select current_setting('idle_in_transaction_session_timeout') as v",
        );
        expect(rows[0]!.v).toBe('500ms');
      }
      const client = await handle.pool.connect();
      const ended = new Promise<void>((resolve) => client.once('error', () => resolve()));
      await client.query('begin');
      await client.query('select 1');
      // on the embedded server its own default (5 s) applies
      await ended;
      await expect(client.query('select 1')).rejects.toThrow();
      client.release(true);
      const { rows } = await handle.pool.query<{ v: number }>('select 2 as v');
      expect(rows).toEqual([{ v: 2 }]);
    } finally {
      await handle.close();
    }
  }, 120_000);
});
