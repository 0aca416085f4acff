import { describe, expect, it } from 'vitest';
import { uniqueName } from '../testing/index.ts';
import { useTestDatabase } from '../testing/use-test-database.ts';
import { BLOB_CHUNK_SIZE, getBlob, readBlob } from './blobs.ts';
import { insertTransactionWithInlineBody } from './create-transaction.ts';
import { claimTransactions } from './delivery.ts';
import { listEvents } from './events.ts';
import { registerInstance } from './instances.ts';
import { createSender } from './senders.ts';
import { getTransaction } from './transactions.ts';

const t = useTestDatabase();

const envelope = (senderId: string) => ({
  senderId,
  status: 'queued' as const,
  mailFrom: { m: 'a@example.org' },
  rcptTo: [{ m: 'B@Example.org' }],
  requestHash: 'h',
  metadata: { session: { client: 'x' } },
  nextAttemptAt: new Date('2026-01-02T03:04:05.678Z'),
});

/** `insertTransactionWithInlineBody` of an rfc822 body, with a `created` event by default. */
const insertInline = (
  transaction: Parameters<typeof insertTransactionWithInlineBody>[1]['transaction'],
  body: Buffer,
  more: Partial<Parameters<typeof insertTransactionWithInlineBody>[1]> = {},
) =>
  insertTransactionWithInlineBody(t.db, {
    transaction,
    body,
    contentType: 'message/rfc822',
    event: { type: 'created', data: {} },
    ...more,
  });

describe('insertTransactionWithInlineBody', () => {
  it('stores transaction, finalized blob, chunk and event in one statement, mapped like drizzle reads them', async () => {
    const sender = await createSender(t.db, { name: uniqueName() });
    const body = Buffer.from('Subject: one\r\n\r\nhello\r\n');
    const { transaction, blob } = await insertTransactionWithInlineBody(t.db, {
      transaction: envelope(sender.id),
      body,
      contentType: 'message/rfc822',
      event: { type: 'created', data: { actor: 'test' } },
    });
    // What the one statement returned equals what a plain drizzle read returns.
    expect(transaction).toEqual(await getTransaction(t.db, transaction.id));
    expect(blob).toEqual(await getBlob(t.db, blob.id));
    expect(transaction.nextAttemptAt).toEqual(new Date('2026-01-02T03:04:05.678Z'));
    expect(transaction.createdAt).toBeInstanceOf(Date);
    expect(transaction.rcptAddresses).toEqual(['b@example.org']);
    expect(transaction.bodyBlobId).toBe(blob.id);
    expect(blob).toMatchObject({
      status: 'finalized',
      size: body.length,
      refCount: 1,
      chunkCount: 1,
    });
    expect(await readBlob(t.db, blob.id)).toEqual(body);
    const events = await listEvents(t.db, transaction.id);
    expect(events.map((e) => [e.type, e.data])).toEqual([['created', { actor: 'test' }]]);
  });

  it('an empty body is a finalized blob without chunks; a failing insert leaves nothing behind', async () => {
    const sender = await createSender(t.db, { name: uniqueName() });
    const { blob } = await insertInline(envelope(sender.id), Buffer.alloc(0));
    expect(blob).toMatchObject({ status: 'finalized', size: 0, chunkCount: 0 });
    const missingSender = '00000000-0000-4000-8000-000000000000';
    await expect(insertInline(envelope(missingSender), Buffer.from('x'))).rejects.toMatchObject({
      code: 'foreign_key_violation',
    });
    const orphans = await t.pool.query(
      'select count(*)::int as n from blobs where sender_id = $1',
      [missingSender],
    );
    expect(orphans.rows[0].n).toBe(0);
    await expect(
      insertInline(envelope(sender.id), Buffer.alloc(BLOB_CHUNK_SIZE + 1)),
    ).rejects.toThrow(RangeError);
  });

  it('with a lease, creates it claimed: in flight, first attempt open, not claimable by others', async () => {
    const sender = await createSender(t.db, { name: uniqueName() });
    const owner = (await registerInstance(t.db, { kind: 'router', version: '' })).id;
    const { transaction, attempt } = await insertInline(
      { ...envelope(sender.id), nextAttemptAt: new Date(Date.now() - 1000) },
      Buffer.from('Subject: x\r\n\r\nx\r\n'),
      { lease: { owner, leaseMs: 30_000 } },
    );
    expect(transaction).toMatchObject({ status: 'inflight', leaseOwner: owner, attemptCount: 0 });
    expect(transaction.leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 20_000);
    expect(attempt).toMatchObject({ transactionId: transaction.id, number: 1, instanceId: owner });
    expect(attempt!.finishedAt).toBeNull();
    const events = await listEvents(t.db, transaction.id);
    expect(events.map((e) => [e.type, e.attemptId])).toEqual([
      ['created', null],
      ['attempt_started', attempt!.id],
    ]);
    const other = (await registerInstance(t.db, { kind: 'router', version: '' })).id;
    expect(
      await claimTransactions(t.db, { owner: other, leaseMs: 1000, limit: 10, id: transaction.id }),
    ).toEqual([]);
  });

  it('creates of one tick share a statement; one that breaks a constraint fails alone', async () => {
    const sender = await createSender(t.db, { name: uniqueName() });
    const missingSender = '00000000-0000-4000-8000-000000000001';
    const make = (senderId: string, n: number) =>
      insertInline(envelope(senderId), Buffer.from(`Subject: ${n}\r\n\r\nbody ${n}\r\n`), {
        event: { type: 'created', data: { n } },
      });
    const results = await Promise.allSettled([
      make(sender.id, 1),
      make(missingSender, 2),
      make(sender.id, 3),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({
      code: 'foreign_key_violation',
    });
    for (const [i, n] of [
      [0, 1],
      [2, 3],
    ] as const) {
      const { transaction, blob } = (
        results[i] as PromiseFulfilledResult<Awaited<ReturnType<typeof make>>>
      ).value;
      expect((await readBlob(t.db, blob.id)).toString()).toBe(`Subject: ${n}\r\n\r\nbody ${n}\r\n`);
      expect((await listEvents(t.db, transaction.id)).map((e) => e.data)).toEqual([{ n }]);
    }
  });
});
