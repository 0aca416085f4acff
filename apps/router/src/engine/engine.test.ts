import {
  claimTransactions,
  getTransaction,
  listAttempts,
  listEvents,
  listLiveInstances,
} from '@koukan/db';
import { ensureChain } from '@koukan/db/testing';
import { runTransactionAction } from '@koukan/services';
import { makeSender, makeTransaction } from '@koukan/services/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { databaseSuite, engineFor, silent, statusOf, testEngine } from './testing/harness.ts';
import { deferred, ScriptedRunner, verdicts } from './testing/scripted-runner.ts';
import type { AttemptVerdict } from './types.ts';

// The runner is the engine's input port (where the filter chain plugs in), scripted per test.
const t = databaseSuite();

describe('delivery engine', () => {
  it('claims due work, runs it once and records the success', async () => {
    const runner = new ScriptedRunner(() => verdicts.delivered());
    const engine = await testEngine(t, runner);
    const s = await makeSender(t.db);
    const tx = await makeTransaction(t.db, s.id);
    await expect.poll(() => statusOf(t, tx.id), { timeout: 5000 }).toBe('delivered');
    const row = (await getTransaction(t.db, tx.id))!;
    expect(row).toMatchObject({ finalAttemptReason: 'upstream_success', attemptCount: 1 });
    const attempts = await listAttempts(t.db, tx.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ outcome: 'success', instanceId: engine.instanceId });
    expect(runner.calls.filter((c) => c.tx.id === tx.id)).toHaveLength(1);
    expect((await listEvents(t.db, tx.id)).map((e) => e.type)).toEqual([
      'attempt_started',
      'responses',
      'attempt_finished',
      'final',
    ]);
  });

  it('cuts a new transaction through at once on kick, without the poll delay', async () => {
    const runner = new ScriptedRunner(() => verdicts.delivered());
    // A poll interval far beyond the test timeout: only kick can start the attempt.
    const engine = await testEngine(t, runner, { pollIntervalMs: 600_000 });
    const s = await makeSender(t.db, { output_chain: await ensureChain(t.db, 'smarthost') });
    const tx = await makeTransaction(t.db, s.id);
    expect(await engine.kick(tx.id)).toBe(true);
    const call = await runner.nextCall((c) => c.tx.id === tx.id);
    expect(call.ctx.sender?.id).toBe(s.id);
    expect(await engine.kick(tx.id)).toBe(false); // already leased
    await expect.poll(() => statusOf(t, tx.id)).toBe('delivered');
  });

  it('retries by the schedule on the injected clock, then fails at max_attempts with a DSN', async () => {
    let clock = new Date('2031-01-01T00:00:00Z');
    const runner = new ScriptedRunner(() => verdicts.tempfail());
    await testEngine(t, runner, { now: () => clock });
    const s = await makeSender(t.db, {
      retry: { schedule: ['1m', '5m'], max_attempts: 2 },
      notification: { enabled: true },
    });
    const tx = await makeTransaction(t.db, s.id);
    await expect.poll(async () => (await getTransaction(t.db, tx.id))!.attemptCount).toBe(1);
    const first = (await getTransaction(t.db, tx.id))!;
    expect(first).toMatchObject({ status: 'queued', finalAttemptReason: null });
    expect(first.nextAttemptAt).toEqual(new Date(clock.getTime() + 60_000));
    // Make it due by the database clock (the claim's), and move the engine clock on.
    clock = new Date('2031-01-01T00:01:00Z');
    await t.pool.query('update transactions set next_attempt_at = now() where id = $1', [tx.id]);
    await expect.poll(() => statusOf(t, tx.id), { timeout: 5000 }).toBe('failed');
    const last = (await getTransaction(t.db, tx.id))!;
    expect(last).toMatchObject({
      attemptCount: 2,
      finalAttemptReason: 'retry_policy_max_attempts',
      finishedAt: clock,
    });
    expect((await listAttempts(t.db, tx.id)).map((a) => a.outcome)).toEqual([
      'temp_failure',
      'temp_failure',
    ]);
    const events = await listEvents(t.db, tx.id);
    expect(events.map((e) => e.type)).toContain('retry_scheduled');
    expect(events.at(-1)).toMatchObject({ type: 'dsn_sent' });
  });

  it('fails a permanent rejection at once, naming the phase', async () => {
    const runner = new ScriptedRunner(() => verdicts.rejected());
    await testEngine(t, runner);
    const s = await makeSender(t.db, { retry: { schedule: ['1m'] } });
    const tx = await makeTransaction(t.db, s.id);
    await expect.poll(() => statusOf(t, tx.id), { timeout: 5000 }).toBe('failed');
    expect((await getTransaction(t.db, tx.id))!.finalAttemptReason).toBe(
      'upstream_permanent_failure_rcpt',
    );
  });

  it('ends an in-flight transaction as cancelled after its attempt, unless it succeeded', async () => {
    // Every attempt waits for the test to answer it (made on first use: the engine may claim
    // a transaction before the test gets to register it).
    const gates = new Map<string, ReturnType<typeof deferred<AttemptVerdict>>>();
    const gate = (id: string) => {
      if (!gates.has(id)) gates.set(id, deferred());
      return gates.get(id)!;
    };
    const runner = new ScriptedRunner(({ tx }) => gate(tx.id).promise);
    await testEngine(t, runner);
    // runs before the engine's stop (the last registered first): no attempt is left waiting
    onTestFinished(() => {
      for (const g of gates.values()) g.resolve(verdicts.delivered());
    });
    const ctx = { db: t.db, logger: silent, actor: 'user:ops@example.com' };
    const s = await makeSender(t.db, { retry: { schedule: ['1m'] } });
    const failing = await makeTransaction(t.db, s.id);
    const succeeding = await makeTransaction(t.db, s.id);
    await runner.nextCall((c) => c.tx.id === failing.id);
    await runner.nextCall((c) => c.tx.id === succeeding.id);
    for (const id of [failing.id, succeeding.id]) {
      expect((await runTransactionAction({ ctx, input: { id, action: 'cancel' } })).to).toBe(
        'inflight',
      );
    }
    gate(failing.id).resolve(verdicts.tempfail());
    gate(succeeding.id).resolve(verdicts.delivered());
    await expect.poll(() => statusOf(t, failing.id)).toBe('cancelled');
    await expect.poll(() => statusOf(t, succeeding.id)).toBe('delivered');
    expect((await getTransaction(t.db, failing.id))!.finalAttemptReason).toBe('cancelled');
  });

  it('aborts an attempt whose lease was taken over and writes nothing for it', async () => {
    const runner = new ScriptedRunner(
      ({ ctx }) =>
        // Answers success only once aborted: the engine must discard it.
        new Promise((resolve) =>
          ctx.signal.addEventListener('abort', () => resolve(verdicts.delivered())),
        ),
    );
    const engine = await testEngine(t, runner, { leaseMs: 600 });
    const s = await makeSender(t.db);
    const tx = await makeTransaction(t.db, s.id);
    const call = await runner.nextCall((c) => c.tx.id === tx.id);
    // Another replica takes over: simulate its lease expiring and a claim by another owner.
    const other = '33333333-3333-4333-8333-333333333333';
    // Expiry and claim in one database transaction, so a renewal cannot slip in between.
    const [taken] = await t.db.transaction(async (dbTx) => {
      await dbTx.execute(
        `update transactions set lease_expires_at = now() - interval '1 second' where id = '${tx.id}'`,
      );
      return claimTransactions(dbTx, { owner: other, leaseMs: 60_000, limit: 1, id: tx.id });
    });
    expect(taken?.abandoned?.instanceId).toBe(engine.instanceId);
    await expect.poll(() => call.ctx.signal.aborted, { timeout: 3000 }).toBe(true);
    await expect.poll(() => engine.inflight().includes(tx.id)).toBe(false);
    const row = (await getTransaction(t.db, tx.id))!;
    expect(row).toMatchObject({ status: 'inflight', leaseOwner: other, attemptCount: 1 });
    expect((await listAttempts(t.db, tx.id)).map((a) => a.outcome)).toEqual(['abandoned', null]);
  });

  it('on stop gives back the leases of attempts still running and deregisters', async () => {
    const runner = new ScriptedRunner(() => new Promise(() => {})); // never answers
    const engine = await engineFor(t, runner);
    const s = await makeSender(t.db);
    const tx = await makeTransaction(t.db, s.id);
    await runner.nextCall((c) => c.tx.id === tx.id);
    expect((await listLiveInstances(t.db, 60_000)).map((i) => i.id)).toContain(engine.instanceId);
    await engine.stop({ deadlineMs: 100 });
    const row = (await getTransaction(t.db, tx.id))!;
    expect(row).toMatchObject({ status: 'queued', leaseOwner: null, attemptCount: 1 });
    expect(row.nextAttemptAt!.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    expect((await listAttempts(t.db, tx.id)).map((a) => a.outcome)).toEqual(['abandoned']);
    expect((await listLiveInstances(t.db, 60_000)).map((i) => i.id)).not.toContain(
      engine.instanceId,
    );
    expect(await engine.kick(tx.id)).toBe(false);
  });
});
