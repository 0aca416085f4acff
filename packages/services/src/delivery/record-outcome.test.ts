import {
  claimTransactions,
  getTransaction,
  listAttempts,
  listEvents,
  releaseLeases,
} from '@koukan/db';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../testing/database.ts';
import { makeSender, makeTransaction } from '../testing/fixtures.ts';
import { recordAttemptOutcome } from './record-outcome.ts';

const now = new Date('2030-05-01T12:00:00Z');
const { t, ctx } = useTestDatabase('system:engine', { now: () => now });
const OWNER = '11111111-1111-4111-8111-111111111111';
const dsn = { reportingMta: 'mx.koukan.test' };
const ok = { code: 250, message: '2.0.0 ok' };
const delivered = { mailResponse: ok, rcptResponse: [ok], dataResponse: ok };

async function claimOne(id: string) {
  const [c] = await claimTransactions(t.db, { owner: OWNER, leaseMs: 60_000, limit: 1, id });
  return c!;
}

type Input = Parameters<typeof recordAttemptOutcome>[0]['input'];
/** Records `verdict` for an attempt of `transactionId` held by OWNER; `extra` adds to the input. */
const record = (
  transactionId: string,
  attemptId: string,
  verdict: Input['verdict'],
  extra: Partial<Input> = {},
) =>
  recordAttemptOutcome({
    ctx,
    input: { transactionId, attemptId, owner: OWNER, verdict, dsn, ...extra },
  });

describe('recordAttemptOutcome', () => {
  it('persists a success as delivered with the responses and timeline', async () => {
    const s = await makeSender(t.db);
    const tx = await makeTransaction(t.db, s.id);
    const c = await claimOne(tx.id);
    const verdict = {
      upstreamHost: 'mx.example.net',
      mailResponse: ok,
      rcptResponse: [ok],
      dataResponse: { code: 250, message: '2.0.0 queued as X' },
      events: [{ type: 'chain_note', data: { filter: 'sink' } }],
    };
    const r = await record(tx.id, c.attempt.id, verdict);
    expect(r.written).toBe(true);
    const row = (await getTransaction(t.db, tx.id))!;
    expect(row).toMatchObject({
      status: 'delivered',
      finalAttemptReason: 'upstream_success',
      attemptCount: 1,
      leaseOwner: null,
      dataResponse: verdict.dataResponse,
      finishedAt: now,
      version: c.transaction.version + 1,
    });
    const [attempt] = await listAttempts(t.db, tx.id);
    expect(attempt).toMatchObject({
      number: 1,
      outcome: 'success',
      upstreamHost: 'mx.example.net',
    });
    expect((await listEvents(t.db, tx.id)).map((e) => e.type)).toEqual([
      'attempt_started',
      'responses',
      'chain_note',
      'attempt_finished',
      'final',
    ]);
  });

  it('schedules a temporary failure by the sender policy and the injected clock', async () => {
    const s = await makeSender(t.db, { retry: { schedule: ['1m', '5m'] } });
    const tx = await makeTransaction(t.db, s.id);
    const c = await claimOne(tx.id);
    const busy = { mailResponse: ok, rcptResponse: [{ code: 451, message: '4.2.0 busy' }] };
    await record(tx.id, c.attempt.id, busy, { senderRetry: s.retry });
    const row = (await getTransaction(t.db, tx.id))!;
    expect(row).toMatchObject({ status: 'queued', attemptCount: 1, finalAttemptReason: null });
    expect(row.nextAttemptAt).toEqual(new Date(now.getTime() + 60_000));
    const events = await listEvents(t.db, tx.id);
    expect(events.at(-1)).toMatchObject({ type: 'retry_scheduled', data: { delay_ms: 60_000 } });
  });

  it('writes nothing once the lease is lost', async () => {
    const s = await makeSender(t.db);
    const tx = await makeTransaction(t.db, s.id);
    const c = await claimOne(tx.id);
    await releaseLeases(t.db, { owner: OWNER, ids: [tx.id] });
    const before = (await getTransaction(t.db, tx.id))!;
    const r = await record(tx.id, c.attempt.id, delivered);
    expect(r).toEqual({ written: false });
    expect(await getTransaction(t.db, tx.id)).toEqual(before);
    expect((await listAttempts(t.db, tx.id))[0]).toMatchObject({ outcome: 'abandoned' });
  });

  it('does not let an attempt abandoned by a re-claim of the same owner write', async () => {
    const s = await makeSender(t.db);
    const tx = await makeTransaction(t.db, s.id);
    const first = await claimOne(tx.id);
    await t.pool.query(
      `update transactions set lease_expires_at = now() - interval '1 second' where id = $1`,
      [tx.id],
    );
    // The owner's own running attempt is excluded from its claims…
    expect(
      await claimTransactions(t.db, {
        owner: OWNER,
        leaseMs: 60_000,
        limit: 1,
        id: tx.id,
        exclude: [tx.id],
      }),
    ).toEqual([]);
    // …but were it re-claimed, the first attempt is closed and may no longer write.
    const second = await claimOne(tx.id);
    expect(second.abandoned?.id).toBe(first.attempt.id);
    const r = await record(tx.id, first.attempt.id, delivered);
    expect(r).toEqual({ written: false });
    expect((await listAttempts(t.db, tx.id)).map((a) => a.outcome)).toEqual(['abandoned', null]);
    expect((await getTransaction(t.db, tx.id))!.status).toBe('inflight');
  });

  it('turns a failure into cancelled when a cancel was requested during the attempt', async () => {
    const s = await makeSender(t.db, { notification: { enabled: true } });
    const tx = await makeTransaction(t.db, s.id, { cancelRequestedAt: now });
    const c = await claimOne(tx.id);
    const refused = { mailResponse: { code: 550, message: '5.7.1 no' } };
    const r = await record(tx.id, c.attempt.id, refused, { senderNotification: s.notification });
    expect(r).toMatchObject({ written: true, next: { status: 'cancelled', reason: 'cancelled' } });
    expect(r.written && r.dsn).toBeUndefined();
  });
});
