import { describe, expect, it } from 'vitest';
import { uniqueName } from '../testing/index.ts';
import { useTestDatabase } from '../testing/use-test-database.ts';
import { failSilentIncrementalTransactions } from './awaiting-body.ts';
import { appendBlobChunk, createBlob } from './blobs.ts';
import { listEvents } from './events.ts';
import { createSender } from './senders.ts';
import { getTransaction, insertTransaction } from './transactions.ts';

const t = useTestDatabase();

const MIN = 60_000;
const minutesAgo = (m: number) => new Date(Date.now() - m * MIN).toISOString();

/**
 * A transaction as the REST API leaves one waiting for its upload (queued, `next_attempt_at`
 * null, an `uploading` body blob with `chunks` chunks), its sender's last heartbeat
 * `heartbeatMinutesAgo` minutes ago (none: never heartbeated), its last chunk
 * `chunkMinutesAgo` ago.
 */
async function awaitingBody(
  senderId: string,
  o: { heartbeatMinutesAgo?: number; chunkMinutesAgo?: number; parentId?: string } = {},
) {
  const blob = await createBlob(t.db, { senderId });
  if (o.chunkMinutesAgo !== undefined) {
    await appendBlobChunk(t.db, blob.id, 0, Buffer.from('Subject: half\r\n'));
  }
  const row = await insertTransaction(t.db, {
    senderId,
    mailFrom: { m: 'a@example.com' },
    rcptTo: [{ m: 'b@example.net' }],
    bodyBlobId: blob.id,
    ...(o.parentId && { parentId: o.parentId }),
    ...(o.heartbeatMinutesAgo !== undefined && {
      metadata: { heartbeat_at: minutesAgo(o.heartbeatMinutesAgo) },
    }),
  });
  // Everything was created before the silence began.
  await t.pool.query(
    `update transactions set created_at = now() - interval '2 hours' where id = $1`,
    [row.id],
  );
  await t.pool.query(`update blobs set updated_at = $2 where id = $1`, [
    blob.id,
    minutesAgo(o.chunkMinutesAgo ?? 120),
  ]);
  return row;
}

describe('failSilentIncrementalTransactions', () => {
  it('fails a heartbeating sender’s transaction silent past the timeout, with its upstreams', async () => {
    const s = await createSender(t.db, { name: uniqueName('s') });
    // The gateway died mid-DATA 40 minutes ago: last heartbeat (RCPT) and last chunk are old.
    const dead = await awaitingBody(s.id, { heartbeatMinutesAgo: 45, chunkMinutesAgo: 40 });
    const upstreams = [
      await awaitingBody(s.id, { parentId: dead.id }),
      await awaitingBody(s.id, { parentId: dead.id }),
    ];
    // Old heartbeat, but the body is still arriving: alive.
    const uploading = await awaitingBody(s.id, { heartbeatMinutesAgo: 45, chunkMinutesAgo: 1 });
    // Heartbeat recent, no chunk yet (between RCPT and DATA): alive.
    const fresh = await awaitingBody(s.id, { heartbeatMinutesAgo: 2 });
    // A REST sender that never heartbeats: only the body timeout ends it.
    const rest = await awaitingBody(s.id, { chunkMinutesAgo: 100 });
    // Old heartbeat but the body is complete (due): not awaiting a body.
    const due = await awaitingBody(s.id, { heartbeatMinutesAgo: 45 });
    await t.pool.query(`update transactions set next_attempt_at = now() where id = $1`, [due.id]);

    const failed = await failSilentIncrementalTransactions(t.db, {
      silentSince: new Date(Date.now() - 30 * MIN),
      limit: 100,
    });
    expect(failed.sort()).toEqual([dead.id, ...upstreams.map((u) => u.id)].sort());
    for (const id of failed) {
      expect(await getTransaction(t.db, id)).toMatchObject({
        status: 'failed',
        finalAttemptReason: 'downstream_timeout',
        nextAttemptAt: null,
      });
      expect(await listEvents(t.db, id)).toContainEqual(
        expect.objectContaining({
          type: 'final',
          data: { status: 'failed', reason: 'downstream_timeout' },
        }),
      );
      expect((await getTransaction(t.db, id))!.finishedAt).not.toBeNull();
    }
    for (const alive of [uploading, fresh, rest, due]) {
      expect((await getTransaction(t.db, alive.id))!.status).toBe('queued');
    }
    // Idempotent: a second pass finds nothing.
    expect(
      await failSilentIncrementalTransactions(t.db, {
        silentSince: new Date(Date.now() - 30 * MIN),
        limit: 100,
      }),
    ).toEqual([]);
  });

  it('takes at most `limit` rows, oldest first', async () => {
    const s = await createSender(t.db, { name: uniqueName('s') });
    const rows = [
      await awaitingBody(s.id, { heartbeatMinutesAgo: 50 }),
      await awaitingBody(s.id, { heartbeatMinutesAgo: 50 }),
    ];
    await t.pool.query(
      `update transactions set created_at = now() - interval '3 hours' where id = $1`,
      [rows[1]!.id],
    );
    const silentSince = new Date(Date.now() - 30 * MIN);
    expect(await failSilentIncrementalTransactions(t.db, { silentSince, limit: 1 })).toEqual([
      rows[1]!.id,
    ]);
    expect(await failSilentIncrementalTransactions(t.db, { silentSince, limit: 1 })).toEqual([
      rows[0]!.id,
    ]);
  });

  it('walks the awaiting-body index, not the table', async () => {
    // The planner takes a sequential scan of a tiny table; forbid it to see which index serves.
    const client = await t.pool.connect();
    try {
      await client.query('begin');
      await client.query('set local enable_seqscan = off');
      const plan = await client.query(
        `explain select t.id from transactions t left join blobs b on b.id = t.body_blob_id
          where t.status = 'queued' and t.next_attempt_at is null and t.metadata ? 'heartbeat_at'
            and greatest((t.metadata->>'heartbeat_at')::timestamptz, b.updated_at) < now()
          order by t.created_at limit 500 for update of t skip locked`,
      );
      const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(text).toMatch(/Index Scan using transactions_awaiting_body_idx on transactions/);
      await client.query('rollback');
    } finally {
      client.release();
    }
  });
});
