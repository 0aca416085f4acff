import { claimTransactions, getTransaction, listAudit, listEvents } from '@koukan/db';
import type { TransitionName } from '@koukan/db/schema';
import { describe, expect, it } from 'vitest';
import type { ServiceContext } from '../context.ts';
import { useTestDatabase } from '../testing/database.ts';
import { makeSender, makeTransaction } from '../testing/fixtures.ts';
import { runTransactionAction } from './actions.ts';

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

describe('runTransactionAction', () => {
  const audit = async (id: string) =>
    (
      await t.pool.query<{ actor: string; action: string; details: Record<string, unknown> }>(
        `select actor, action, details from audit_log where entity_type = 'transaction' and entity_id = $1 order by id`,
        [id],
      )
    ).rows;
  const timeline = async (id: string) =>
    (
      await t.pool.query<{ type: string; data: Record<string, unknown> }>(
        'select type, data from events where transaction_id = $1 order by id',
        [id],
      )
    ).rows;

  it('hold, retry now, release and cancel: each audited (who, what, before/after) and on the timeline', async () => {
    const s = await makeSender(t.db);
    const tx = await makeTransaction(t.db, s.id);
    const held = await runTransactionAction({ ctx, input: { id: tx.id, action: 'hold' } });
    expect(held).toMatchObject({
      from: 'queued',
      to: 'held',
      next_attempt_at: null,
      cancel_requested: false,
    });
    const retried = await runTransactionAction({ ctx, input: { id: tx.id, action: 'retry_now' } });
    expect(retried).toMatchObject({ from: 'held', to: 'queued' });
    expect(retried.next_attempt_at).not.toBeNull();
    await runTransactionAction({ ctx, input: { id: tx.id, action: 'hold' } });
    expect(
      await runTransactionAction({ ctx, input: { id: tx.id, action: 'release' } }),
    ).toMatchObject({ from: 'held', to: 'queued' });
    const cancelled = await runTransactionAction({ ctx, input: { id: tx.id, action: 'cancel' } });
    expect(cancelled).toMatchObject({ from: 'queued', to: 'cancelled', cancel_requested: true });
    const steps = [
      ['hold', 'queued', 'held'],
      ['retry_now', 'held', 'queued'],
      ['hold', 'queued', 'held'],
      ['release', 'held', 'queued'],
      ['cancel', 'queued', 'cancelled'],
    ];
    expect(await audit(tx.id)).toEqual(
      steps.map(([action, from, to]) => ({
        actor: 'user:ops@example.com',
        action: `transaction.${action}`,
        details: { from, to },
      })),
    );
    expect((await timeline(tx.id)).map((e) => [e.type, e.data.actor, e.data.to])).toEqual([
      ['held', 'user:ops@example.com', 'held'],
      ['retry_now', 'user:ops@example.com', 'queued'],
      ['held', 'user:ops@example.com', 'held'],
      ['released', 'user:ops@example.com', 'queued'],
      ['cancelled', 'user:ops@example.com', 'cancelled'],
    ]);
  });

  it('refuses transitions the status does not allow, with a clear conflict and no audit entry', async () => {
    const s = await makeSender(t.db);
    const delivered = await makeTransaction(t.db, s.id, {
      status: 'delivered',
      finalAttemptReason: 'upstream_success',
    });
    await expect(
      runTransactionAction({ ctx, input: { id: delivered.id, action: 'cancel' } }),
    ).rejects.toMatchObject({
      code: 'conflict',
      message: 'cannot cancel a delivered transaction (only queued, held, inflight)',
      details: [{ field: 'action' }],
    });
    const queued = await makeTransaction(t.db, s.id);
    await expect(
      runTransactionAction({ ctx, input: { id: queued.id, action: 'release' } }),
    ).rejects.toMatchObject({
      code: 'conflict',
      message: 'cannot release a queued transaction (only held)',
    });
    expect(await audit(delivered.id)).toEqual([]);
    expect(await audit(queued.id)).toEqual([]);
    await expect(
      runTransactionAction({
        ctx,
        input: { id: '00000000-0000-4000-8000-000000000000', action: 'hold' },
      }),
    ).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      runTransactionAction({ ctx, input: { id: queued.id, action: 'bounce' as 'hold' } }),
    ).rejects.toMatchObject({ code: 'bad_request', details: [{ field: 'action' }] });
  });

  it('cancel of an in-flight transaction asks the engine to stop it', async () => {
    const s = await makeSender(t.db);
    const tx = await makeTransaction(t.db, s.id, { status: 'inflight' });
    const r = await runTransactionAction({ ctx, input: { id: tx.id, action: 'cancel' } });
    expect(r).toMatchObject({ from: 'inflight', to: 'inflight', cancel_requested: true });
  });
});
