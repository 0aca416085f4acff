import { claimTransactions, getTransaction, listAudit, listEvents } from '@koukan/db';
import type { TransitionName } from '@koukan/db/schema';
import { describe, expect, it } from 'vitest';
import { runTransactionAction } from '../console/actions.ts';
import type { ServiceContext } from '../context.ts';
import { useTestDatabase } from '../testing/database.ts';
import { makeSender, makeTransaction } from '../testing/fixtures.ts';

const { t, ctx } = useTestDatabase('user:ops@example.com');

const later = () => new Date(Date.now() + 3_600_000);
/** The single-message operator action, answering the row after it. */
const act =
  (name: TransitionName) =>
  async ({ ctx, input }: { ctx: ServiceContext; input: { id: string } }) => {
    await runTransactionAction({ ctx, input: { id: input.id, action: name } });
    return (await getTransaction(t.db, input.id))!;
  };
const holdTransaction = act('hold');
const releaseTransaction = act('release');
const retryTransactionNow = act('retry_now');
const cancelTransactionByOperator = act('cancel');

describe('hold / release / retry now', () => {
  it('parks a queued transaction off the due index and releases it due now', async () => {
    const s = await makeSender(t.db);
    const tx = await makeTransaction(t.db, s.id, { nextAttemptAt: later() });
    const held = await holdTransaction({ ctx, input: { id: tx.id } });
    expect(held).toMatchObject({ status: 'held', nextAttemptAt: null, version: tx.version + 1 });
    // A held transaction is not claimable even when asked for by id.
    expect(
      await claimTransactions(t.db, { owner: s.id, leaseMs: 1000, limit: 1, id: tx.id }),
    ).toEqual([]);
    const before = Date.now();
    const released = await releaseTransaction({ ctx, input: { id: tx.id } });
    expect(released.status).toBe('queued');
    expect(released.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(before - 5);
    expect((await listEvents(t.db, tx.id)).map((e) => e.type)).toEqual(['held', 'released']);
    const audit = (await listAudit(t.db, { limit: 500 })).filter((a) => a.entityId === tx.id);
    expect(audit.map((a) => [a.actor, a.action])).toEqual([
      ['user:ops@example.com', 'transaction.release'],
      ['user:ops@example.com', 'transaction.hold'],
    ]);
  });

  it('makes a queued or held transaction due now, and refuses a final one', async () => {
    const s = await makeSender(t.db);
    const tx = await makeTransaction(t.db, s.id, { nextAttemptAt: later() });
    const due = await retryTransactionNow({ ctx, input: { id: tx.id } });
    expect(due.nextAttemptAt!.getTime()).toBeLessThanOrEqual(Date.now());
    const done = await makeTransaction(t.db, s.id, { status: 'delivered' });
    await expect(retryTransactionNow({ ctx, input: { id: done.id } })).rejects.toMatchObject({
      code: 'conflict',
    });
    await expect(
      holdTransaction({ ctx, input: { id: '00000000-0000-4000-8000-000000000000' } }),
    ).rejects.toMatchObject({ code: 'not_found' });
    await expect(releaseTransaction({ ctx, input: { id: tx.id } })).rejects.toMatchObject({
      code: 'conflict',
    });
  });
});

describe('cancel', () => {
  it('ends a queued transaction at once', async () => {
    const s = await makeSender(t.db);
    const tx = await makeTransaction(t.db, s.id);
    const c = await cancelTransactionByOperator({ ctx, input: { id: tx.id } });
    expect(c).toMatchObject({
      status: 'cancelled',
      finalAttemptReason: 'cancelled',
      nextAttemptAt: null,
    });
    expect(c.finishedAt).not.toBeNull();
    await expect(cancelTransactionByOperator({ ctx, input: { id: tx.id } })).rejects.toMatchObject({
      code: 'conflict',
    });
  });

  it('only flags one in flight; the engine finishes it', async () => {
    const s = await makeSender(t.db);
    const tx = await makeTransaction(t.db, s.id);
    await claimTransactions(t.db, { owner: s.id, leaseMs: 60_000, limit: 1, id: tx.id });
    const c = await cancelTransactionByOperator({ ctx, input: { id: tx.id } });
    expect(c.status).toBe('inflight');
    expect(c.cancelRequestedAt).not.toBeNull();
    expect(c.leaseOwner).toBe(s.id);
  });
});
