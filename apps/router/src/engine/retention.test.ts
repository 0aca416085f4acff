import { createBlob, getBlob, getTransaction, insertTransaction, listEvents } from '@koukan/db';
import { makeSender, makeTransaction } from '@koukan/services/testing';
import { describe, expect, it } from 'vitest';
import { retentionDefaults, runRetentionPass } from './retention.ts';
import { databaseSuite } from './testing/harness.ts';

const t = databaseSuite();

const HOUR = 3_600_000;
const options = retentionDefaults({
  bodyAfterMs: 24 * HOUR,
  deleteAfterMs: 72 * HOUR,
  blobGraceMs: HOUR,
  bodyTimeoutMs: 2 * HOUR,
  batch: 100,
});

/** Moves a row's timestamps into the past, as if time had passed. */
async function age(sqlSet: string, id: string) {
  await t.pool.query(`update transactions set ${sqlSet} where id = $1`, [id]);
}

describe('retention', () => {
  it('releases bodies, then deletes rows, then collects blobs, each on its own clock', async () => {
    const s = await makeSender(t.db);
    const old = await makeTransaction(t.db, s.id, { status: 'delivered' });
    const older = await makeTransaction(t.db, s.id, { status: 'failed' });
    const recent = await makeTransaction(t.db, s.id, { status: 'delivered' });
    const live = await makeTransaction(t.db, s.id);
    await age(`finished_at = now() - interval '30 hours'`, old.id);
    await age(`finished_at = now() - interval '80 hours'`, older.id);
    await age(`finished_at = now() - interval '1 hour'`, recent.id);

    const first = await runRetentionPass(t.db, options, new Date());
    // Both old bodies go; the older row is past its deletion time too and goes in the same pass.
    expect(first).toMatchObject({ bodiesReleased: 2, transactionsDeleted: 1, blobsCollected: 0 });
    expect((await getTransaction(t.db, old.id))!.bodyBlobId).toBeNull();
    expect(await getBlob(t.db, old.bodyBlobId!)).toMatchObject({ refCount: 0 });
    expect(await getTransaction(t.db, older.id)).toBeUndefined();
    expect(await getTransaction(t.db, old.id)).toBeDefined();
    // Its search keys go with it; the kept row's stay.
    const searchRows = await t.pool.query(
      'select transaction_id from transaction_search where transaction_id = any($1)',
      [[older.id, old.id]],
    );
    expect(searchRows.rows).toEqual([{ transaction_id: old.id }]);
    // Bodies still in use stay.
    expect((await getTransaction(t.db, recent.id))!.bodyBlobId).toBe(recent.bodyBlobId);
    expect((await getTransaction(t.db, live.id))!.bodyBlobId).toBe(live.bodyBlobId);
    expect(await runRetentionPass(t.db, options, new Date())).toMatchObject({
      bodiesReleased: 0,
      transactionsDeleted: 0,
    });
    // Unreferenced blobs are collected only after the grace period: two hours on.
    expect(await getBlob(t.db, old.bodyBlobId!)).toBeDefined();
    const later = await runRetentionPass(t.db, options, new Date(Date.now() + 2 * HOUR));
    expect(later.blobsCollected).toBeGreaterThanOrEqual(2);
    expect(await getBlob(t.db, old.bodyBlobId!)).toBeUndefined();
    expect(await getBlob(t.db, older.bodyBlobId!)).toBeUndefined();
    expect(await getBlob(t.db, live.bodyBlobId!)).toBeDefined();
  });

  it('releases the part blobs of a message-builder body too', async () => {
    const s = await makeSender(t.db);
    const parts = await Promise.all([1, 2].map(() => createBlob(t.db, { senderId: s.id })));
    const tx = await insertTransaction(t.db, {
      senderId: s.id,
      status: 'delivered',
      mailFrom: { m: 'a@example.com' },
      rcptTo: [{ m: 'b@example.net' }],
      bodySpec: {
        message_builder: { text: 'hi' },
        blobs: parts.map((p, i) => ({ path: `attachments[${i}].content`, blob_id: p.id })),
      },
    });
    await age(`finished_at = now() - interval '30 hours'`, tx.id);
    expect((await runRetentionPass(t.db, options, new Date())).bodiesReleased).toBe(1);
    expect((await getTransaction(t.db, tx.id))!.bodySpec).toBeNull();
    for (const p of parts) expect(await getBlob(t.db, p.id)).toMatchObject({ refCount: 0 });
  });

  it('stays within its batch and is safe to run on several replicas at once', async () => {
    const s = await makeSender(t.db);
    const rows = await Promise.all(
      Array.from({ length: 12 }, () => makeTransaction(t.db, s.id, { status: 'delivered' })),
    );
    await t.pool.query(
      `update transactions set finished_at = now() - interval '30 hours' where id = any($1)`,
      [rows.map((r) => r.id)],
    );
    // Each blob also held by a live transaction: a double release would show as 0, not 1.
    for (const r of rows) {
      await insertTransaction(t.db, {
        senderId: s.id,
        mailFrom: { m: 'a@example.com' },
        rcptTo: [{ m: 'b@example.net' }],
        bodyBlobId: r.bodyBlobId,
      });
    }
    const small = { ...options, batch: 5 };
    const results = await Promise.all(
      [1, 2, 3].map(() => runRetentionPass(t.db, small, new Date())),
    );
    for (const r of results) expect(r.bodiesReleased).toBeLessThanOrEqual(5);
    while ((await runRetentionPass(t.db, small, new Date())).bodiesReleased > 0) {}
    for (const r of rows) {
      // Released exactly once each.
      expect(await getBlob(t.db, r.bodyBlobId!)).toMatchObject({ refCount: 1 });
      expect((await getTransaction(t.db, r.id))!.bodyBlobId).toBeNull();
    }
  });

  it('fails a transaction whose body never arrived with downstream_timeout', async () => {
    const s = await makeSender(t.db);
    const waiting = await insertTransaction(t.db, {
      senderId: s.id,
      mailFrom: { m: 'a@example.com' },
      rcptTo: [{ m: 'b@example.net' }],
      // As the REST API leaves it until the body is complete: not due.
    });
    await runRetentionPass(t.db, options, new Date());
    expect((await getTransaction(t.db, waiting.id))!.status).toBe('queued');
    await age(`created_at = now() - interval '3 hours'`, waiting.id);
    expect((await runRetentionPass(t.db, options, new Date())).bodylessFailed).toBe(1);
    expect(await getTransaction(t.db, waiting.id)).toMatchObject({
      status: 'failed',
      finalAttemptReason: 'downstream_timeout',
    });
    expect((await listEvents(t.db, waiting.id)).at(-1)).toMatchObject({ type: 'final' });
  });

  it('fails a transaction whose heartbeating sender went silent mid-upload', async () => {
    const s = await makeSender(t.db);
    const orphan = await insertTransaction(t.db, {
      senderId: s.id,
      mailFrom: { m: 'a@example.com' },
      rcptTo: [{ m: 'b@example.net' }],
      // The gateway's last PATCH {"heartbeat": true}, ten minutes ago; no body since.
      metadata: { heartbeat_at: new Date(Date.now() - 10 * 60_000).toISOString() },
    });
    const short = { ...options, heartbeatTimeoutMs: 5 * 60_000 };
    expect(await runRetentionPass(t.db, options, new Date())).toMatchObject({ silentFailed: 0 });
    expect((await getTransaction(t.db, orphan.id))!.status).toBe('queued');
    expect(await runRetentionPass(t.db, short, new Date())).toMatchObject({
      silentFailed: 1,
      bodylessFailed: 0,
    });
    expect(await getTransaction(t.db, orphan.id)).toMatchObject({
      status: 'failed',
      finalAttemptReason: 'downstream_timeout',
    });
  });
});
