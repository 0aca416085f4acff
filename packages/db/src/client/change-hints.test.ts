import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTransactionAwaitingBody } from '../queries/create-downstream.ts';
import { handOverToUpstreams } from '../queries/exploder.ts';
import { createSender } from '../queries/senders.ts';
import { storeSmallBody } from '../queries/small-body.ts';
import { createTestDatabase, type TestDatabase, uniqueName } from '../testing/index.ts';
import { type Change, type ChangeSink, registerChangeSink } from './change-hints.ts';
import { channels } from './channels.ts';
import { TransactionWatcher } from './transaction-watcher.ts';

// NOTIFY crosses connections only on a real PostgreSQL (the embedded one delivers none).
const real = Boolean(process.env.DATABASE_URL);
let t: TestDatabase;
let listener: pg.Client;
const heard: string[] = [];
beforeAll(async () => {
  t = await createTestDatabase();
  listener = new pg.Client({ connectionString: t.url });
  await listener.connect();
  listener.on('notification', (m) => heard.push(m.payload ?? ''));
  await listener.query(`LISTEN ${channels.transactions}`);
});
afterAll(async () => {
  await listener.end();
  await t.destroy();
});

/** The hints the database sent for what `run` wrote (a sentinel NOTIFY after it closes them). */
async function hintsOf<T>(run: () => Promise<T>): Promise<[T, string[]]> {
  heard.length = 0;
  const out = await run();
  await t.pool.query('select pg_notify($1, $2)', [channels.transactions, 'sentinel']);
  await expect.poll(() => heard.includes('sentinel')).toBe(true);
  // change hints only: not the watchers' own control payloads (watching:, hello:)
  return [out, heard.filter((h) => /^[0-9a-f-]{36}:\d+$/.test(h))];
}

/** A sink that records what it takes and says `skip` when asked whether hints may be left out. */
function sink(skip: boolean): ChangeSink & { taken: Change[] } {
  const taken: Change[] = [];
  return { taken, changed: (c) => taken.push(...c), canSkipHints: () => skip };
}

const body = Buffer.from('Subject: hi\r\n\r\nhello\r\n');

/** A downstream awaiting its body, with one upstream. */
async function downstream() {
  const sender = await createSender(t.db, { name: uniqueName() });
  const up = await createSender(t.db, { name: uniqueName() });
  return insertTransactionAwaitingBody(t.db, {
    transaction: {
      senderId: sender.id,
      mailFrom: { m: 'a@example.org' },
      rcptTo: [{ m: 'b@example.org' }],
    },
    contentType: 'message/rfc822',
    event: { type: 'created', data: {} },
    upstreams: [
      { senderId: up.id, mailFrom: { m: 'a@example.org' }, rcptTo: [{ m: 'b@example.org' }] },
    ],
  });
}

const store = (
  db: Parameters<typeof storeSmallBody>[0],
  d: Awaited<ReturnType<typeof downstream>>,
) =>
  storeSmallBody(db, {
    transactionId: d.transaction.id,
    blobId: d.blob.id,
    data: body,
    messageId: null,
    subject: null,
  });

describe.skipIf(!real)('hot statements and their NOTIFY hints', () => {
  it('without a sink, the trigger notifies as for any update', async () => {
    const d = await downstream();
    const [stored, hints] = await hintsOf(() => store(t.db, d));
    expect(hints).toEqual([`${d.transaction.id}:${stored!.transaction.version}`]);
  });

  it('when no other process waits, they send none and hand their changes to the sink', async () => {
    const s = sink(true);
    const unregister = registerChangeSink(t.pool, s);
    try {
      const d = await downstream();
      const [stored, hints] = await hintsOf(() => store(t.db, d));
      const [handed, more] = await hintsOf(() =>
        handOverToUpstreams(t.db, { downstreamId: d.transaction.id }),
      );
      expect([...hints, ...more]).toEqual([]);
      expect(s.taken).toEqual([
        { id: d.transaction.id, version: stored!.transaction.version },
        { id: d.upstreamIds[0], version: handed.upstreams[0]!.version },
      ]);
      // any other update still notifies
      const [, other] = await hintsOf(() =>
        t.pool.query('update transactions set version = version + 1 where id = $1', [
          d.transaction.id,
        ]),
      );
      expect(other).toEqual([`${d.transaction.id}:${stored!.transaction.version + 1}`]);
    } finally {
      unregister();
    }
  });

  it('when another process may wait, the trigger notifies and the sink still takes the changes', async () => {
    const s = sink(false);
    const unregister = registerChangeSink(t.pool, s);
    try {
      const d = await downstream();
      const [stored, hints] = await hintsOf(() => store(t.db, d));
      expect(hints).toEqual([`${d.transaction.id}:${stored!.transaction.version}`]);
      expect(s.taken).toEqual([{ id: d.transaction.id, version: stored!.transaction.version }]);
    } finally {
      unregister();
    }
  });

  it('inside an open transaction, the trigger notifies (at its commit) and no sink is told', async () => {
    const s = sink(true);
    const unregister = registerChangeSink(t.pool, s);
    try {
      const d = await downstream();
      const [stored, hints] = await hintsOf(() => t.db.transaction((tx) => store(tx, d)));
      expect(hints).toEqual([`${d.transaction.id}:${stored!.transaction.version}`]);
      expect(s.taken).toEqual([]);
    } finally {
      unregister();
    }
  });

  it('a watcher in another process is woken by the hint once it said it has waiters', async () => {
    const log = pino({ level: 'silent' });
    // two processes: each its pool and watcher, on the same database (polling out of the way)
    const pool = new pg.Pool({ connectionString: t.url, max: 2 });
    const a = new TransactionWatcher({ pool: t.pool, logger: log, pollIntervalMs: 60_000 });
    const b = new TransactionWatcher({ pool, logger: log, pollIntervalMs: 60_000 });
    try {
      await a.start();
      await b.start();
      const d = await downstream();
      await expect.poll(() => a.canSkipHints(), { timeout: 5000 }).toBe(true);
      // its own waiters are woken in-process, without a hint
      const own = a.waitForChange(d.transaction.id, d.transaction.version, 5000);
      const [, hints] = await hintsOf(() => store(t.db, d));
      expect(hints).toEqual([]);
      expect(await own).toBe('changed');
      // b waits on the upstream: a hears it and its next hand-over notifies
      const up = d.upstreamIds[0]!;
      const waited = b.waitForChange(up, 1, 5000);
      await expect.poll(() => a.canSkipHints(), { timeout: 5000 }).toBe(false);
      await handOverToUpstreams(t.db, { downstreamId: d.transaction.id });
      expect(await waited).toBe('changed');
    } finally {
      await a.stop();
      await b.stop();
      await pool.end();
    }
  });
});
