import { describe, expect, it } from 'vitest';
import { isDbError } from '../client/errors.ts';
import { uniqueName } from '../testing/index.ts';
import { useTestDatabase } from '../testing/use-test-database.ts';
import { collectUnreferencedBlobs, createBlob, getBlob } from './blobs.ts';
import { insertTransactionAwaitingBody } from './create-downstream.ts';
import { releaseFinishedBodies } from './delivery.ts';
import { handOverToUpstreams } from './exploder.ts';
import { deleteSandboxMessages, insertSandboxMessage } from './sandbox.ts';
import { createSender } from './senders.ts';
import { insertTransaction } from './transactions.ts';

// Blob references are rows (transaction_blobs, sandbox_messages) with foreign keys; ref_count
// is derived from them (migration 0018). A release can only delete a row once, so a double
// release cannot be clamped away: it releases nothing the second time.

const t = useTestDatabase();

const LATER = () => new Date(Date.now() + 60_000);

async function refs(blobId: string) {
  const { rows } = await t.pool.query<{ rows: number; count: number }>(
    `select (select count(*)::int from transaction_blobs where blob_id = $1)
       + (select count(*)::int from sandbox_messages where blob_id = $1) as rows,
       (select ref_count from blobs where id = $1) as count`,
    [blobId],
  );
  return rows[0]!;
}

async function finish(ids: string[], at: string) {
  await t.pool.query(
    `update transactions set status = 'delivered', final_attempt_reason = 'upstream_success',
       finished_at = $2 where id = any($1)`,
    [ids, at],
  );
}

/** A downstream with `n` upstreams that share its body, as the exploder leaves them at DATA. */
async function family(n: number) {
  const sender = await createSender(t.db, { name: uniqueName() });
  const rcptTo = Array.from({ length: n }, (_, i) => ({ m: `r${i}@example.org` }));
  const created = await insertTransactionAwaitingBody(t.db, {
    transaction: { senderId: sender.id, mailFrom: { m: 'a@example.org' }, rcptTo },
    contentType: 'message/rfc822',
    event: { type: 'created', data: {} },
    upstreams: rcptTo.map((r) => ({
      senderId: sender.id,
      mailFrom: { m: 'a@example.org' },
      rcptTo: [r],
    })),
  });
  const { shared } = await handOverToUpstreams(t.db, { downstreamId: created.transaction.id });
  expect(shared).toHaveLength(n);
  return { ...created, sender };
}

describe('blob references', () => {
  it('counts one row per holder, derived by the database', async () => {
    const { blob } = await family(3);
    expect(await refs(blob.id)).toEqual({ rows: 4, count: 4 });
  });

  it('keeps a shared body until its last holder goes, then collects exactly it', async () => {
    const { transaction, blob, upstreamIds, sender } = await family(2);
    const other = await createBlob(t.db, { senderId: sender.id });
    await insertTransaction(t.db, {
      senderId: sender.id,
      mailFrom: { m: 'a@example.org' },
      rcptTo: [{ m: 'x@example.org' }],
      bodyBlobId: other.id,
    });
    const holders = [transaction.id, ...upstreamIds];
    for (const [i, id] of holders.entries()) {
      // Deleting a transaction deletes its references with it (ON DELETE CASCADE).
      expect((await t.pool.query('delete from transactions where id = $1', [id])).rowCount).toBe(1);
      const left = holders.length - i - 1;
      expect(await refs(blob.id)).toEqual({ rows: left, count: left });
      await collectUnreferencedBlobs(t.db, LATER());
      if (left > 0) expect(await getBlob(t.db, blob.id)).toBeDefined();
    }
    expect(await getBlob(t.db, blob.id)).toBeUndefined();
    expect(await refs(other.id)).toEqual({ rows: 1, count: 1 });
    expect(await getBlob(t.db, other.id)).toBeDefined();
  });

  it('releases a body once: a second release finds nothing to release', async () => {
    const { transaction, blob, upstreamIds } = await family(1);
    await finish([transaction.id], '1990-01-01');
    const before = new Date('1990-01-02');
    expect(await releaseFinishedBodies(t.db, { finishedBefore: before, limit: 100 })).toBe(1);
    expect(await refs(blob.id)).toEqual({ rows: 1, count: 1 });
    expect(await releaseFinishedBodies(t.db, { finishedBefore: before, limit: 100 })).toBe(0);
    expect(await refs(blob.id)).toEqual({ rows: 1, count: 1 });
    await collectUnreferencedBlobs(t.db, LATER());
    expect(await getBlob(t.db, blob.id)).toBeDefined();
    await finish(upstreamIds, '1990-01-01');
    expect(await releaseFinishedBodies(t.db, { finishedBefore: before, limit: 100 })).toBe(1);
    expect(await refs(blob.id)).toEqual({ rows: 0, count: 0 });
  });

  it('refuses to delete a referenced blob, or a body reference the transaction still reads', async () => {
    const { transaction, blob } = await family(1);
    const deleteBlob = await t.pool
      .query('delete from blobs where id = $1', [blob.id])
      .catch((e: unknown) => e);
    expect(deleteBlob).toMatchObject({ code: '23503' });
    const dropRef = await t.pool
      .query('delete from transaction_blobs where transaction_id = $1', [transaction.id])
      .catch((e: unknown) => e);
    expect(dropRef).toMatchObject({ code: '23503', constraint: 'transactions_body_blob_fkey' });
    expect(await refs(blob.id)).toEqual({ rows: 2, count: 2 });
    const negative = await t.pool
      .query('update blobs set ref_count = -1 where id = $1', [blob.id])
      .catch((e: unknown) => e);
    expect(negative).toMatchObject({ code: '23514' });
  });

  it('holds a sandbox copy by its inbox row, freed with the row', async () => {
    const sender = await createSender(t.db, { name: uniqueName() });
    const copy = await createBlob(t.db, { senderId: sender.id });
    const mailbox = uniqueName('box');
    await insertSandboxMessage(t.db, {
      mailbox,
      transactionId: null,
      sender: sender.name,
      mailFrom: 'a@example.org',
      rcptTo: ['b@example.org'],
      subject: '',
      messageId: null,
      blobId: copy.id,
      size: 0,
    });
    expect(await refs(copy.id)).toEqual({ rows: 1, count: 1 });
    await collectUnreferencedBlobs(t.db, LATER());
    expect(await getBlob(t.db, copy.id)).toBeDefined();
    const result = await t.db.transaction((tx) => deleteSandboxMessages(tx, { mailbox }));
    expect(result).toEqual({ deleted: 1, blobsFreed: 1 });
    expect(await getBlob(t.db, copy.id)).toBeUndefined();
  });

  it('an insert naming a blob that does not exist fails and leaves nothing', async () => {
    const sender = await createSender(t.db, { name: uniqueName() });
    const err = await insertTransaction(t.db, {
      senderId: sender.id,
      mailFrom: { m: 'a@example.org' },
      rcptTo: [{ m: 'b@example.org' }],
      bodyBlobId: '00000000-0000-4000-8000-000000000000',
    }).catch((e: unknown) => e);
    expect(isDbError(err, 'foreign_key_violation')).toBe(true);
    const { rows } = await t.pool.query('select 1 from transactions where sender_id = $1', [
      sender.id,
    ]);
    expect(rows).toHaveLength(0);
  });
});
