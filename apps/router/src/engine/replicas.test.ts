import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { getTransaction, listAttempts, listLiveInstances } from '@koukan/db';
import { makeSender, makeTransaction } from '@koukan/services/testing';
import { describe, expect, it } from 'vitest';
import { databaseSuite } from './testing/harness.ts';
import { accepted, startReceiver } from './testing/receiver.ts';

const workerPath = fileURLToPath(new URL('./testing/worker.ts', import.meta.url));
const routerDir = fileURLToPath(new URL('../..', import.meta.url));

interface Worker {
  name: string;
  proc: ChildProcess;
  instanceId: string;
}

async function spawnWorker(config: Record<string, unknown> & { name: string }): Promise<Worker> {
  const proc = spawn(process.execPath, ['--import', 'tsx', workerPath, JSON.stringify(config)], {
    cwd: routerDir,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout! });
  const [line] = (await Promise.race([
    once(lines, 'line'),
    once(proc, 'exit').then(([code]) => {
      throw new Error(`worker ${config.name} exited with ${code}`);
    }),
  ])) as [string];
  return { name: config.name, proc, instanceId: line.replace(/^ready /, '') };
}

// Several processes on one database need a real server: the embedded PGlite is one session
// inside one process, so it cannot be shared by separate processes with real concurrency.
const multiProcess = Boolean(process.env.DATABASE_URL);

const t = databaseSuite();

describe('three replicas, one killed with SIGKILL mid-attempt', () => {
  it.runIf(multiProcess)('still gives every transaction exactly one final outcome', async () => {
    const N = 60;
    // The upstream answers w2 and w3 at once and never answers w1, so w1 is always mid-attempt.
    const receiver = await startReceiver((r) => {
      if (r.body.runner !== 'w1') r.reply(accepted);
    });
    const s = await makeSender(t.db, { retry: { schedule: ['1s'] } });
    const txs = await Promise.all(Array.from({ length: N }, () => makeTransaction(t.db, s.id)));
    // Lease 3 s (renewed every second): short enough for a quick takeover after the kill, long
    // enough that a survivor's renewal is not late on a loaded machine. A survivor whose lease
    // did run out would rightly be taken over too — leases give at-least-once delivery.
    const base = { databaseUrl: t.url, receiverUrl: receiver.url, leaseMs: 3000 };
    const workers: Worker[] = [];
    try {
      const w1 = await spawnWorker({ ...base, name: 'w1' });
      workers.push(w1);
      await expect
        .poll(() => receiver.requests.filter((r) => r.body.runner === 'w1').length, {
          timeout: 10_000,
        })
        .toBeGreaterThan(0);
      workers.push(await spawnWorker({ ...base, name: 'w2' }));
      workers.push(await spawnWorker({ ...base, name: 'w3' }));
      await expect
        .poll(() => receiver.requests.filter((r) => r.body.runner !== 'w1').length, {
          timeout: 10_000,
        })
        .toBeGreaterThanOrEqual(5);
      const killedAt = performance.now();
      w1.proc.kill('SIGKILL');
      await once(w1.proc, 'exit');
      const w1Requests = receiver.requests.filter((r) => r.body.runner === 'w1');
      // Its connections died with it.
      await Promise.all(w1Requests.map((r) => r.clientGone));

      const deliveredCount = async () =>
        (await Promise.all(txs.map((x) => getTransaction(t.db, x.id)))).filter(
          (x) => x?.status === 'delivered',
        ).length;
      await expect.poll(deliveredCount, { timeout: 30_000, interval: 100 }).toBe(N);
      const recoveryMs = performance.now() - killedAt;

      // "Exactly one final outcome" means, for every transaction: status delivered with
      // reason upstream_success and no lease; exactly one attempt row with outcome success;
      // every other attempt row abandoned, made by the killed replica, and matching an upstream
      // request that was never answered; and the upstream answered 2xx to it exactly once.
      const abandonedTxs = new Set<string>();
      for (const x of txs) {
        const row = (await getTransaction(t.db, x.id))!;
        expect(row).toMatchObject({
          status: 'delivered',
          finalAttemptReason: 'upstream_success',
          leaseOwner: null,
        });
        const attempts = await listAttempts(t.db, x.id);
        expect(attempts.filter((a) => a.outcome === 'success')).toHaveLength(1);
        const others = attempts.filter((a) => a.outcome !== 'success');
        for (const a of others) {
          expect(a).toMatchObject({ outcome: 'abandoned', instanceId: w1.instanceId });
          expect(w1Requests.map((r) => r.body.attempt_id)).toContain(a.id);
          abandonedTxs.add(x.id);
        }
        expect(row.attemptCount).toBe(attempts.length);
        const answered = receiver.requests.filter(
          (r) => r.body.transaction_id === x.id && r.body.runner !== 'w1',
        );
        expect(answered).toHaveLength(1);
      }
      // The upstream saw a transaction twice only where the killed replica's attempt was
      // abandoned, and every request of the killed replica was taken over.
      const seenTwice = txs
        .map((x) => x.id)
        .filter((id) => receiver.requests.filter((r) => r.body.transaction_id === id).length > 1);
      expect(new Set(seenTwice)).toEqual(abandonedTxs);
      expect(new Set(w1Requests.map((r) => r.body.transaction_id))).toEqual(abandonedTxs);
      expect(abandonedTxs.size).toBeGreaterThan(0);

      // The survivors stop gracefully and deregister; the killed one's row is left to go stale.
      for (const w of workers.slice(1)) {
        w.proc.kill('SIGTERM');
        const [code] = await once(w.proc, 'exit');
        expect(code).toBe(0);
      }
      const live = (await listLiveInstances(t.db, 60_000)).map((i) => i.id);
      expect(live).toEqual([w1.instanceId]);
      process.stderr.write(
        `replicas: ${N} transactions, ${abandonedTxs.size} taken over, all delivered ${Math.round(recoveryMs)} ms after SIGKILL\n`,
      );
    } finally {
      for (const w of workers) if (w.proc.exitCode === null) w.proc.kill('SIGKILL');
      await receiver.close();
    }
  });
});
