import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDbError } from '../client/errors.ts';
import { createTestDatabase, type TestDatabase, uniqueName } from '../testing/index.ts';
import { listAttempts } from './attempts.ts';
import { getBlob, readBlob } from './blobs.ts';
import { insertTransactionAwaitingBody } from './create-downstream.ts';
import { claimTransactions } from './delivery.ts';
import { listEvents } from './events.ts';
import { handOverToUpstreams } from './exploder.ts';
import { registerInstance } from './instances.ts';
import { createSender } from './senders.ts';
import { storeSmallBody } from './small-body.ts';
import { getTransaction } from './transactions.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.destroy());

/** How many statements `run` sends through the pool. */
async function statements<T>(run: () => Promise<T>): Promise<[T, number]> {
  const query = t.pool.query;
  let n = 0;
  t.pool.query = ((...args: Parameters<typeof query>) => {
    n++;
    return (query as (...a: unknown[]) => unknown).apply(t.pool, args);
  }) as typeof query;
  try {
    return [await run(), n];
  } finally {
    t.pool.query = query;
  }
}

/** A downstream of `upstreams` recipients with one upstream each, as the SMTP gateway creates. */
function awaitingInput(senderId: string, upId: string, upstreams: number, key: string | null) {
  const rcptTo = Array.from({ length: upstreams }, (_, i) => ({ m: `R${i}@Example.org` }));
  return {
    transaction: {
      senderId,
      mailFrom: { m: 'a@example.org' },
      rcptTo,
      idempotencyKey: key,
      requestHash: null,
      metadata: { session: { helo: 'x' } },
      retry: { schedule: [60], max_attempts: 1 },
      notification: { enabled: false },
      rcptResponse: rcptTo.map(() => ({ code: 250, message: '2.1.5 ok' })),
    },
    contentType: 'message/rfc822',
    event: { type: 'created', data: { actor: 'test' } },
    upstreams: rcptTo.map((r, i) => ({
      senderId: upId,
      mailFrom: { m: 'a@example.org' },
      rcptTo: [r],
      retry: { schedule: [1, 2], max_attempts: 3 },
      notification: { enabled: false },
      metadata: { rcpt_index: i, msa: false },
    })),
  };
}

async function downstream(upstreams = 2) {
  const sender = await createSender(t.db, { name: uniqueName() });
  const up = await createSender(t.db, { name: uniqueName() });
  const created = await insertTransactionAwaitingBody(
    t.db,
    awaitingInput(sender.id, up.id, upstreams, null),
  );
  return { ...created, sender, up };
}

describe('insertTransactionAwaitingBody', () => {
  it('stores the transaction, its empty blob, the upstreams and the event in one statement, as drizzle reads them', async () => {
    const { transaction, blob, upstreamIds, up } = await downstream(2);
    expect(transaction).toEqual(await getTransaction(t.db, transaction.id));
    expect(blob).toEqual(await getBlob(t.db, blob.id));
    expect(transaction).toMatchObject({
      status: 'queued',
      nextAttemptAt: null,
      bodyBlobId: blob.id,
      rcptAddresses: ['r0@example.org', 'r1@example.org'],
      retry: { schedule: [60], max_attempts: 1 },
      rcptResponse: [
        { code: 250, message: '2.1.5 ok' },
        { code: 250, message: '2.1.5 ok' },
      ],
      metadata: { session: { helo: 'x' } },
    });
    expect(blob).toMatchObject({
      status: 'uploading',
      size: 0,
      refCount: 1,
      contentType: 'message/rfc822',
    });
    expect(upstreamIds).toHaveLength(2);
    for (const [i, id] of upstreamIds.entries()) {
      expect(await getTransaction(t.db, id)).toMatchObject({
        senderId: up.id,
        status: 'queued',
        parentId: transaction.id,
        bodyBlobId: null,
        nextAttemptAt: null,
        rcptTo: [{ m: `R${i}@Example.org` }],
        rcptAddresses: [`r${i}@example.org`],
        retry: { schedule: [1, 2], max_attempts: 3 },
        metadata: { rcpt_index: i, msa: false, exploded_from: transaction.id },
      });
    }
    const events = await listEvents(t.db, transaction.id);
    expect(events.map((e) => [e.type, e.data])).toEqual([['created', { actor: 'test' }]]);
  });

  it('creates in the same tick (one statement) come out as each would alone; a repeated key fails alone', async () => {
    const sender = await createSender(t.db, { name: uniqueName() });
    const up = await createSender(t.db, { name: uniqueName() });
    const create = (n: number, key: string | null) =>
      insertTransactionAwaitingBody(t.db, awaitingInput(sender.id, up.id, n, key));
    await create(1, 'taken');
    const [[two, one], n] = await statements(() =>
      Promise.allSettled([create(2, null), create(1, 'new')]),
    );
    expect(n).toBe(1);
    const [repeated, fresh] = await Promise.allSettled([create(1, 'taken'), create(1, null)]);
    expect(repeated.status).toBe('rejected');
    expect(isDbError((repeated as PromiseRejectedResult).reason, 'unique_violation')).toBe(true);
    for (const [r, n] of [
      [two, 2],
      [one, 1],
      [fresh, 1],
    ] as const) {
      if (r.status !== 'fulfilled') throw r.reason;
      const { transaction, blob, upstreamIds } = r.value;
      expect(transaction).toEqual(await getTransaction(t.db, transaction.id));
      expect(blob).toEqual(await getBlob(t.db, blob.id));
      expect(transaction.bodyBlobId).toBe(blob.id);
      expect(upstreamIds).toHaveLength(n);
      for (const [i, id] of upstreamIds.entries()) {
        expect(await getTransaction(t.db, id)).toMatchObject({
          parentId: transaction.id,
          rcptTo: [{ m: `R${i}@Example.org` }],
          metadata: { rcpt_index: i, msa: false, exploded_from: transaction.id },
        });
      }
      const events = await listEvents(t.db, transaction.id);
      expect(events.map((e) => [e.type, e.data])).toEqual([['created', { actor: 'test' }]]);
    }
  });
});

describe('storeSmallBody', () => {
  const body = Buffer.from('Subject: hi\r\nMessage-ID: <m@x>\r\n\r\nhello\r\n');
  /** The body without the header facts, claimed by `owner` in the same statement. */
  const storeLeased = (transactionId: string, blobId: string, owner: string) =>
    storeSmallBody(t.db, {
      transactionId,
      blobId,
      data: body,
      messageId: null,
      subject: null,
      lease: { owner, leaseMs: 30_000 },
    });

  it('without a lease: stores and finalizes the body, makes the transaction due, claims nothing', async () => {
    const { transaction, blob } = await downstream(1);
    const stored = await storeSmallBody(t.db, {
      transactionId: transaction.id,
      blobId: blob.id,
      data: body,
      messageId: '<m@x>',
      subject: 'hi',
    });
    expect(stored?.attempt).toBeUndefined();
    expect(stored?.transaction).toEqual(await getTransaction(t.db, transaction.id));
    expect(stored?.transaction).toMatchObject({
      status: 'queued',
      version: transaction.version + 1,
      leaseOwner: null,
      messageId: '<m@x>',
    });
    expect(stored?.transaction.nextAttemptAt).toBeInstanceOf(Date);
    expect(await readBlob(t.db, blob.id)).toEqual(body);
    expect(await listAttempts(t.db, transaction.id)).toEqual([]);
  });

  it('with a lease: claims it in the same statement as claimTransactions would, and a claim finds nothing left', async () => {
    const { transaction, blob } = await downstream(1);
    const instance = await registerInstance(t.db, { kind: 'router' });
    const stored = await storeLeased(transaction.id, blob.id, instance.id);
    const row = await getTransaction(t.db, transaction.id);
    expect(stored?.transaction).toEqual(row);
    expect(row).toMatchObject({
      status: 'inflight',
      leaseOwner: instance.id,
      version: transaction.version + 1,
      attemptCount: 0,
    });
    expect(row!.leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 20_000);
    const attempts = await listAttempts(t.db, transaction.id);
    expect(attempts).toHaveLength(1);
    expect(stored?.attempt).toEqual(attempts[0]);
    expect(attempts[0]).toMatchObject({ number: 1, instanceId: instance.id, finishedAt: null });
    const events = await listEvents(t.db, transaction.id);
    expect(events.map((e) => e.type)).toEqual(['created', 'blob_finalized', 'attempt_started']);
    expect(events[2]).toMatchObject({
      attemptId: attempts[0]!.id,
      data: { number: 1, instance_id: instance.id },
    });
    const again = await claimTransactions(t.db, {
      owner: instance.id,
      leaseMs: 30_000,
      limit: 1,
      ids: [transaction.id],
    });
    expect(again).toEqual([]);
  });

  it('bodies stored in the same tick (one statement) come out as each would alone', async () => {
    const [a, b, c] = await Promise.all([downstream(2), downstream(1), downstream(1)]);
    const instance = await registerInstance(t.db, { kind: 'router' });
    const [[plain, leased, wrongBlob], n] = await statements(() =>
      Promise.all([
        storeSmallBody(t.db, {
          transactionId: a.transaction.id,
          blobId: a.blob.id,
          data: body,
          messageId: '<m@x>',
          subject: 'hi',
        }),
        storeLeased(b.transaction.id, b.blob.id, instance.id),
        storeLeased(c.transaction.id, b.blob.id, instance.id),
      ]),
    );
    expect(n).toBe(1);
    expect(plain?.transaction).toEqual(await getTransaction(t.db, a.transaction.id));
    expect(plain?.transaction).toMatchObject({ status: 'queued', messageId: '<m@x>' });
    expect(plain?.attempt).toBeUndefined();
    expect(await readBlob(t.db, a.blob.id)).toEqual(body);
    for (const id of a.upstreamIds) {
      expect(await getTransaction(t.db, id)).toMatchObject({ messageId: '<m@x>', subject: 'hi' });
    }
    expect(leased?.transaction).toEqual(await getTransaction(t.db, b.transaction.id));
    expect(leased?.transaction).toMatchObject({ status: 'inflight', leaseOwner: instance.id });
    expect(leased?.attempt).toEqual((await listAttempts(t.db, b.transaction.id))[0]);
    expect((await listEvents(t.db, b.transaction.id)).map((e) => e.type)).toEqual([
      'created',
      'blob_finalized',
      'attempt_started',
    ]);
    expect(wrongBlob).toBeUndefined();
    expect(await getTransaction(t.db, c.transaction.id)).toEqual(c.transaction);
  });

  it('a held transaction takes its body but is not claimed, lease or not', async () => {
    const { transaction, blob } = await downstream(1);
    await t.pool.query(`update transactions set status = 'held' where id = $1`, [transaction.id]);
    const instance = await registerInstance(t.db, { kind: 'router' });
    const stored = await storeLeased(transaction.id, blob.id, instance.id);
    expect(stored?.attempt).toBeUndefined();
    expect(stored?.transaction).toMatchObject({ status: 'held', leaseOwner: null });
    expect(await listAttempts(t.db, transaction.id)).toEqual([]);
  });
});

describe('handOverToUpstreams', () => {
  it('hand-overs in the same tick (one statement) come out as each would alone, each with its own claim terms', async () => {
    const [a, b] = await Promise.all([downstream(2), downstream(3)]);
    const instance = await registerInstance(t.db, { kind: 'router' });
    const terms = { owner: instance.id, leaseMs: 30_000 };
    const [[ha, hb], n] = await statements(() =>
      Promise.all([
        handOverToUpstreams(t.db, { downstreamId: a.transaction.id, ...terms, limit: 1 }),
        handOverToUpstreams(t.db, { downstreamId: b.transaction.id, ...terms, limit: 2 }),
      ]),
    );
    expect(n).toBe(1);
    for (const [h, d, claimed] of [
      [ha, a, 1],
      [hb, b, 2],
    ] as const) {
      expect(h.downstream).toEqual({
        bodyBlobId: d.blob.id,
        rcptResponse: d.transaction.rcptResponse,
      });
      expect(h.upstreams.map((u) => u.id).sort()).toEqual([...d.upstreamIds].sort());
      expect(h.shared.sort()).toEqual([...d.upstreamIds].sort());
      // the first recipients are claimed, up to the limit; the others are due for the poll loop
      expect(h.claimed.map((c) => c.transaction.id)).toEqual(d.upstreamIds.slice(0, claimed));
      for (const [i, id] of d.upstreamIds.entries()) {
        const row = await getTransaction(t.db, id);
        expect(h.upstreams.find((u) => u.id === id)).toEqual(row);
        expect(row).toMatchObject({
          bodyBlobId: d.blob.id,
          status: i < claimed ? 'inflight' : 'queued',
          leaseOwner: i < claimed ? instance.id : null,
        });
        expect(row!.nextAttemptAt).toBeInstanceOf(Date);
        const events = await listEvents(t.db, id);
        expect(events.map((e) => [e.type, e.data])).toEqual([
          ['body_shared', { downstream: d.transaction.id }],
          ...(i < claimed ? [['attempt_started', { number: 1, instance_id: instance.id }]] : []),
        ]);
        const attempts = await listAttempts(t.db, id);
        expect(attempts).toEqual(i < claimed ? [h.claimed[i]!.attempt] : []);
      }
    }
  });
});
