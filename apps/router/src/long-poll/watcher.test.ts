import pg from 'pg';
import pino from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { databaseSuite } from '../engine/testing/harness.ts';
import { TransactionWatcher } from './watcher.ts';

const t = databaseSuite();

/** A bare transaction row (of a new sender); its version starts at 1. */
async function newTransaction(): Promise<string> {
  const { rows } = await t.pool.query<{ id: string }>(
    `insert into senders (name) values ('w-' || gen_random_uuid()) returning id`,
  );
  const tx = await t.pool.query<{ id: string }>(
    `insert into transactions (sender_id, mail_from, rcpt_to, rcpt_addresses) values ($1, '{"m":""}', '[]', '{}') returning id`,
    [rows[0]!.id],
  );
  return tx.rows[0]!.id;
}

describe('TransactionWatcher', () => {
  it('times out, honours abort, and answers everyone on stop', async () => {
    const w = new TransactionWatcher({ pool: t.pool, logger: pino({ level: 'silent' }) });
    await w.start();
    const id = '00000000-0000-4000-8000-000000000000';
    // An unknown id reads as "changed" at the next poll (the transaction is gone).
    expect(await w.waitForChange(id, 1, 5000)).toBe('changed');
    const abort = new AbortController();
    const aborted = w.waitForChange(id, 1, 5000, abort.signal);
    abort.abort();
    expect(await aborted).toBe('closed');
    const pending = w.waitForChange(id, 1, 30_000);
    expect(w.waiting).toBe(1);
    await w.stop();
    expect(await pending).toBe('closed');
    expect(w.waiting).toBe(0);
    expect(await w.waitForChange(id, 1, 1000)).toBe('closed');
  });

  it('times out when nothing changes', async () => {
    const w = new TransactionWatcher({
      pool: t.pool,
      logger: pino({ level: 'silent' }),
      listen: false,
    });
    await w.start();
    const id = await newTransaction();
    expect(await w.waitForChange(id, 1, 700)).toBe('timeout');
    await w.stop();
  });

  // NOTIFY hints only cross connections on a real PostgreSQL (the embedded one delivers none).
  it.skipIf(!process.env.DATABASE_URL)(
    'a long-poll that registers after the hint of its change went by is answered at once',
    async () => {
      // Polling slower than the test: only the remembered NOTIFY hint can answer in time.
      const w = new TransactionWatcher({
        pool: t.pool,
        logger: pino({ level: 'silent' }),
        pollIntervalMs: 60_000,
      });
      await w.start();
      const id = await newTransaction();
      // The client read version 1; the row moves to 2 before it starts waiting.
      await t.pool.query('update transactions set version = 2 where id = $1', [id]);
      await expect.poll(() => w.heardVersion(id)).toBe(2);
      // The next poll is a minute away: only the remembered hint can answer within 5 s.
      expect(await w.waitForChange(id, 1, 5000)).toBe('changed');
      // The current version still waits.
      expect(await w.waitForChange(id, 2, 300)).toBe('timeout');
      await w.stop();
    },
  );

  it.skipIf(!process.env.DATABASE_URL)(
    'the database notifies updates of a transaction, not its creation',
    async () => {
      const listener = new pg.Client({ connectionString: t.url });
      await listener.connect();
      const heard: string[] = [];
      listener.on('notification', (m) => heard.push(m.payload ?? ''));
      await listener.query('LISTEN koukan_transactions');
      onTestFinished(() => listener.end());
      const id = await newTransaction();
      await t.pool.query('update transactions set version = 2 where id = $1', [id]);
      await expect.poll(() => heard).toEqual([`${id}:2`]);
    },
  );
});
