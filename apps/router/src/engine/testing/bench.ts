/**
 * Ad-hoc measurement, not a test: cut-through latency and drain throughput of one engine with
 * an instant runner (so it measures the engine and the database, not an upstream).
 *   DATABASE_URL=postgres://… node --import tsx apps/router/src/engine/testing/bench.ts [n]
 */
import { createTestDatabase } from '@koukan/db/testing';
import { makeSender, makeTransaction } from '@koukan/services/testing';
import pino from 'pino';
import { startEngine } from '../engine.ts';
import { ScriptedRunner, verdicts } from './scripted-runner.ts';

const n = Number(process.argv[2] ?? 1000);
const t = await createTestDatabase({ poolSize: 20 });
const out = (line: string) => process.stdout.write(`${line}\n`);
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
try {
  const s = await makeSender(t.db);
  // 1. Cut-through: time from kick() to the runner being called, one at a time.
  const started = new Map<string, number>();
  const latencies: number[] = [];
  const runner = new ScriptedRunner(({ tx }) => {
    const at = started.get(tx.id);
    if (at !== undefined) latencies.push(performance.now() - at);
    return verdicts.delivered();
  });
  const engine = await startEngine({
    db: t.db,
    pool: t.pool,
    logger: pino({ level: 'silent' }),
    runner,
    dsn: { reportingMta: 'bench' },
    pollIntervalMs: 600_000,
    retention: false,
    concurrency: 32,
  });
  for (let i = 0; i < 200; i++) {
    const tx = await makeTransaction(t.db, s.id);
    started.set(tx.id, performance.now());
    await engine.kick(tx.id);
    await runner.nextCall((c) => c.tx.id === tx.id);
  }
  out(
    `kick -> runner: p50 ${pct(latencies, 0.5).toFixed(1)} ms, p95 ${pct(latencies, 0.95).toFixed(1)} ms (200 kicks)`,
  );
  await engine.stop();

  // 2. Drain: n due transactions, poll loop only, concurrency 32.
  for (let i = 0; i < n; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, () => makeTransaction(t.db, s.id)),
    );
  }
  const before = runner.calls.length;
  const begin = performance.now();
  const drain = await startEngine({
    db: t.db,
    pool: t.pool,
    logger: pino({ level: 'silent' }),
    runner,
    dsn: { reportingMta: 'bench' },
    retention: false,
    concurrency: 32,
  });
  const { rows } = await (async () => {
    for (;;) {
      const r = await t.pool.query<{ c: number }>(
        `select count(*)::int as c from transactions where status in ('queued', 'inflight')`,
      );
      if (r.rows[0]!.c === 0) return r;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  void rows;
  const seconds = (performance.now() - begin) / 1000;
  out(
    `drain: ${runner.calls.length - before} attempts in ${seconds.toFixed(2)} s = ${Math.round(n / seconds)} deliveries/s (concurrency 32, one replica)`,
  );
  await drain.stop();
} finally {
  await t.destroy();
}
