import { getTransaction, updateSender, upsertChain } from '@koukan/db';
import { makeSender, makeTransaction } from '@koukan/services/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startConfigCache } from './config-cache.ts';
import { databaseSuite, silent, testEngine } from './testing/harness.ts';
import { ScriptedRunner, verdicts } from './testing/scripted-runner.ts';

const t = databaseSuite();

describe('live configuration', () => {
  it('sees sender and chain changes within 2 s without a restart', async () => {
    const s = await makeSender(t.db, { retry: { schedule: ['1m'] } });
    const cache = await startConfigCache({ db: t.db, pool: t.pool, logger: silent });
    onTestFinished(() => cache.stop());
    expect(cache.getSender(s.name)?.retry).toEqual({ schedule: ['1m'] });
    expect(cache.getSender(s.id)?.name).toBe(s.name);
    const changed = performance.now();
    await updateSender(t.db, s.name, { retry: { schedule: ['7m'] } });
    await upsertChain(t.db, {
      name: `${s.name}-out`,
      filters: [{ filter: 'sink' }],
      author: 'test',
    });
    await expect
      .poll(() => cache.getSender(s.id)?.retry, { timeout: 2000, interval: 20 })
      .toEqual({ schedule: ['7m'] });
    await expect
      .poll(() => cache.getChain(`${s.name}-out`)?.filters, { timeout: 2000, interval: 20 })
      .toEqual([{ filter: 'sink' }]);
    silent.info({ ms: performance.now() - changed }, 'config propagation');
  });

  it('makes the running engine use a changed retry policy within 2 s', async () => {
    const runner = new ScriptedRunner(() => verdicts.tempfail());
    const now = new Date('2032-03-01T00:00:00Z');
    const engine = await testEngine(t, runner, { now: () => now, pollIntervalMs: 600_000 });
    const s = await makeSender(t.db, { retry: { schedule: ['1m'] } });
    const first = await makeTransaction(t.db, s.id);
    expect(await engine.kick(first.id)).toBe(true);
    await expect
      .poll(async () => (await getTransaction(t.db, first.id))?.nextAttemptAt?.getTime())
      .toBe(now.getTime() + 60_000);
    await updateSender(t.db, s.name, { retry: { schedule: ['7m'] } });
    await expect
      .poll(() => engine.config.getSender(s.id)?.retry, { timeout: 2000, interval: 20 })
      .toEqual({ schedule: ['7m'] });
    const second = await makeTransaction(t.db, s.id);
    expect(await engine.kick(second.id)).toBe(true);
    await expect
      .poll(async () => (await getTransaction(t.db, second.id))?.nextAttemptAt?.getTime())
      .toBe(now.getTime() + 7 * 60_000);
  });
});
