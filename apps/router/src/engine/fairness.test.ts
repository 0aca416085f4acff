import { makeSender, makeTransaction } from '@koukan/services/testing';
import { describe, expect, it } from 'vitest';
import { databaseSuite, statusOf, testEngine } from './testing/harness.ts';
import { ScriptedRunner, verdicts } from './testing/scripted-runner.ts';

const t = databaseSuite();

/** Issue 10 item 3: no sender holds more than its share of attempt slots while others wait. */
describe('per-sender fairness', () => {
  it('shares the slots between two senders while both have due work', async () => {
    const busy = await makeSender(t.db);
    const quiet = await makeSender(t.db);
    // The busy sender's backlog is older: first come, first served would give it every slot.
    const old = new Date(Date.now() - 60_000);
    const backlog = await Promise.all(
      Array.from({ length: 16 }, () => makeTransaction(t.db, busy.id, { nextAttemptAt: old })),
    );
    const few = await Promise.all(Array.from({ length: 4 }, () => makeTransaction(t.db, quiet.id)));
    const running = new Map<string, number>();
    let quietStarted = 0;
    /** The busy sender's working attempts each time one of its attempts starts while the quiet
     * sender still has work waiting. */
    const busyHeldWhileOthersWait: number[] = [];
    const runner = new ScriptedRunner(async ({ tx }) => {
      const n = (running.get(tx.senderId) ?? 0) + 1;
      running.set(tx.senderId, n);
      if (tx.senderId === quiet.id) quietStarted++;
      else if (quietStarted < few.length) busyHeldWhileOthersWait.push(n);
      // simulated upstream latency
      await new Promise((r) => setTimeout(r, 30));
      running.set(tx.senderId, running.get(tx.senderId)! - 1);
      return verdicts.delivered();
    });
    await testEngine(t, runner, { concurrency: 4 });
    for (const tx of [...backlog, ...few]) {
      await expect.poll(() => statusOf(t, tx.id), { timeout: 20_000 }).toBe('delivered');
    }
    expect(busyHeldWhileOthersWait.length).toBeGreaterThan(0);
    expect(Math.max(...busyHeldWhileOthersWait)).toBeLessThanOrEqual(2);
    // the quiet sender's work started within the first claims, not after the backlog
    const order = runner.calls.map((c) => c.tx.senderId);
    expect(order.slice(0, 4).filter((s) => s === quiet.id)).toHaveLength(2);
  });

  it('gives one sender every slot when nobody else waits', async () => {
    const alone = await makeSender(t.db);
    const txs = await Promise.all(Array.from({ length: 8 }, () => makeTransaction(t.db, alone.id)));
    let held = 0;
    let most = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const runner = new ScriptedRunner(async () => {
      most = Math.max(most, ++held);
      if (held === 4) release();
      await gate;
      held--;
      return verdicts.delivered();
    });
    await testEngine(t, runner, { concurrency: 4 });
    for (const tx of txs) {
      await expect.poll(() => statusOf(t, tx.id), { timeout: 20_000 }).toBe('delivered');
    }
    expect(most).toBe(4);
  });
});
