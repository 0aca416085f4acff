import { describe, expect, it, onTestFinished } from 'vitest';
import { addr, exploderSuite, finished, submit, upstreamsOf } from '../testing/exploder.ts';

// Issue 13: waiting is not work. With two engine slots, six downstreams ending DATA together
// would all hold a slot while their upstreams wait for one (every answer a 451 at
// data_timeout); parked, they hold none, and every upstream is delivered and fanned in.
// The poll loop is far slower than the test: only cut-through and wake-ups move work.
const { t, world } = exploderSuite({ concurrency: 2, pollIntervalMs: 600_000 });

describe('exploder fan-in without an engine slot', () => {
  it('answers every downstream when there are more of them than slots', async () => {
    const sender = await world.downstreamSender(false, { data_timeout: 60 });
    let mostWorking = 0;
    const watch = setInterval(() => {
      mostWorking = Math.max(mostWorking, world.engine.load().working);
    }, 5);
    onTestFinished(() => clearInterval(watch));
    const downs = await Promise.all(
      Array.from({ length: 6 }, () => submit(t, sender, [addr('ok'), addr('ok')])),
    );
    await Promise.all(downs.map((d) => world.engine.kick(d.id)));
    for (const d of downs) {
      await expect.poll(() => finished(t, d.id), { timeout: 30_000 }).toBeTruthy();
      const row = (await finished(t, d.id))!;
      expect(row.dataResponse?.code, JSON.stringify(row.dataResponse)).toBe(250);
      for (const up of await upstreamsOf(t, d.id)) expect(up.status).toBe('delivered');
    }
    expect(mostWorking).toBeLessThanOrEqual(2);
    expect(world.engine.load()).toEqual({ working: 0, waiting: 0 });
  }, 60_000);
});
