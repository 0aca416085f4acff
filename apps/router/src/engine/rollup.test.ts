import { appendEvents, finishAttempt, runRollupPass, startAttempt } from '@koukan/db';
import { makeSender, makeTransaction } from '@koukan/services/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RollupJob, startRollupJob } from './rollup.ts';
import { databaseSuite } from './testing/harness.ts';

const t = databaseSuite();
let job: RollupJob;
beforeAll(async () => {
  // Passes run when the test says (runOnce); the timer would only add noise.
  job = startRollupJob(t.db, pino({ level: 'silent' }), { intervalMs: 3_600_000, lagMs: 300 });
});
afterAll(() => job?.stop());

const totals = async () => {
  const { rows } = await t.pool.query<{ outcome: string; n: number }>(
    'select outcome, sum(count)::int as n from delivery_rollup group by 1 order by 1',
  );
  return Object.fromEntries(rows.map((r) => [r.outcome, r.n]));
};
/** The totals after one more pass. */
const afterPass = async () => {
  await job.runOnce();
  return totals();
};

describe('the rollup job', () => {
  it('counts accepted, deferred and delivered per minute and sender once the lag has passed, and only once', async () => {
    const s = await makeSender(t.db);
    const slow = await makeTransaction(t.db, s.id, { rcptTo: [{ m: 'x@slow.example' }] });
    const fast = await makeTransaction(t.db, s.id);
    const attempt = await startAttempt(t.db, { transactionId: slow.id, number: 1 });
    await finishAttempt(t.db, attempt.id, {
      outcome: 'temp_failure',
      upstreamHost: 'mx.slow.example',
      mailResponse: { code: 250, message: '2.1.0 Ok' },
      rcptResponse: [{ code: 421, message: '4.7.0 Try again later' }],
      dataResponse: null,
      error: null,
    });
    await appendEvents(t.db, [
      { transactionId: slow.id, type: 'created' },
      { transactionId: fast.id, type: 'created' },
      {
        transactionId: slow.id,
        attemptId: attempt.id,
        type: 'retry_scheduled',
        data: { delay_ms: 60_000 },
      },
      {
        transactionId: fast.id,
        type: 'final',
        data: { status: 'delivered', reason: 'upstream_success' },
      },
      { transactionId: fast.id, type: 'attempt_finished', data: { outcome: 'success' } },
    ]);
    // The first pass only marks where the sequence is; nothing is ripe yet.
    expect(await job.runOnce()).toMatchObject({ ran: true, rows: 0 });
    expect(await totals()).toEqual({});
    await expect
      .poll(afterPass, { timeout: 10_000 })
      .toEqual({ accepted: 2, deferred: 1, delivered: 1 });
    const { rows: per } = await t.pool.query(
      `select sender_id, outcome, count, minute = date_trunc('minute', minute) as aligned from delivery_rollup where outcome = 'accepted'`,
    );
    expect(per).toEqual([{ sender_id: s.id, outcome: 'accepted', count: 2, aligned: true }]);
    const { rows: deferrals } = await t.pool.query(
      'select domain, reply_code, reply_text, count from deferral_rollup',
    );
    expect(deferrals).toEqual([
      { domain: 'slow.example', reply_code: 421, reply_text: '4.7.0 Try again later', count: 1 },
    ]);
    // More passes count nothing twice.
    await job.runOnce();
    await job.runOnce();
    expect(await totals()).toEqual({ accepted: 2, deferred: 1, delivered: 1 });
  });

  // Two transactions open at once need a real PostgreSQL: the embedded one serves one
  // connection at a time, so the pass would wait on the open one until its idle timeout.
  it.skipIf(!process.env.DATABASE_URL)(
    'does not skip an event whose transaction commits after the pass marked its id',
    async () => {
      const s = await makeSender(t.db);
      const tx = await makeTransaction(t.db, s.id);
      const before = (await totals()).accepted ?? 0;
      const late = await t.pool.connect();
      try {
        await late.query('begin');
        await late.query(`insert into events (transaction_id, type) values ($1, 'created')`, [
          tx.id,
        ]);
        // Another writer's event commits at once, after the late one took its id.
        await appendEvents(t.db, [{ transactionId: tx.id, type: 'created' }]);
        await job.runOnce();
        await late.query('commit');
      } finally {
        late.release();
      }
      await expect
        .poll(async () => (await afterPass()).accepted, { timeout: 10_000 })
        .toBe(before + 2);
    },
  );

  it('is safe when several replicas run passes at once', async () => {
    const s = await makeSender(t.db);
    const tx = await makeTransaction(t.db, s.id);
    const before = (await totals()).accepted ?? 0;
    await appendEvents(
      t.db,
      Array.from({ length: 7 }, () => ({ transactionId: tx.id, type: 'created' })),
    );
    const passes = await Promise.all(
      Array.from({ length: 4 }, () => runRollupPass(t.db, { lagMs: 0 })),
    );
    expect(passes.filter((p) => p.ran).length).toBeGreaterThanOrEqual(1);
    await runRollupPass(t.db, { lagMs: 0 });
    expect((await totals()).accepted).toBe(before + 7);
  });
});
