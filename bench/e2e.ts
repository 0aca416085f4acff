/**
 * End-to-end benchmark of the router: REST create (4 KB inline body) → cut-through delivery by
 * the engine through a one-filter chain (`rest_output`) to a REST sink on loopback → the
 * client long-polls until `delivered`. This process is the system under test (router REST API
 * and delivery engine, as `apps/router/src/main.ts` wires them); the clients and the sink run
 * in a child process (bench/load.ts) so they do not share its event loop. Real PostgreSQL from
 * DATABASE_URL (a private database is created and dropped).
 * The reference, in the same run and on the same database: pgbench with `concurrency` clients,
 * each transaction one insert of a 4 KB row and its commit (`synchronous_commit` as the
 * database has it), for 10 s; the figure is Koukan's delivered/s ÷ pgbench's tps.
 * Usage: DATABASE_URL=postgres://… npm run bench [-- total concurrency]
 */
import { execFileSync, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey, createSender, upsertChain } from '@koukan/db';
import { createTestDatabase } from '@koukan/db/testing';
import pino from 'pino';
import { buildApp } from '../apps/router/src/app.ts';
import { createChainRunner, startEngine } from '../apps/router/src/engine/index.ts';

const total = Number(process.argv[2] ?? 3000);
const concurrency = Number(process.argv[3] ?? 32);
const out = (line: string) => process.stdout.write(`${line}\n`);
if (!process.env.DATABASE_URL) out('note: DATABASE_URL unset, measuring the embedded database');

const load = fork(new URL('./load.ts', import.meta.url), { execArgv: ['--import', 'tsx'] });
const [{ sink }] = (await once(load, 'message')) as [{ sink: string }];
const db = await createTestDatabase({ poolSize: 10 });

/** pgbench's tps for a durable 4 KB insert per transaction on the bench's database, or null. */
function pgbenchTps(): number | null {
  const dir = mkdtempSync(join(tmpdir(), 'koukan-bench-pgbench-'));
  try {
    const script = join(dir, 'insert.sql');
    writeFileSync(script, `insert into pgbench_reference (body) values (repeat('x', 4096));\n`);
    execFileSync('psql', [
      db.url,
      '-qc',
      'create table pgbench_reference (id bigserial primary key, body text)',
    ]);
    const text = execFileSync(
      'pgbench',
      ['-n', '-c', String(concurrency), '-j', '2', '-T', '10', '-f', script, db.url],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    execFileSync('psql', [db.url, '-qc', 'drop table pgbench_reference']);
    return Number(/tps = ([\d.]+)/.exec(text)?.[1] ?? Number.NaN);
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const logger = pino({ level: 'silent' });
const engine = await startEngine({
  db: db.db,
  pool: db.pool,
  logger,
  runner: createChainRunner({ db: db.db, context: { logger } }),
  dsn: { reportingMta: 'bench' },
  concurrency: 64,
  retention: false,
});
const app = await buildApp({
  db: db.db,
  pool: db.pool,
  logger,
  config: engine.config,
  cutThrough: engine,
  onTransactionCreated: (id) => void engine.kick(id),
});
try {
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  await upsertChain(db.db, {
    name: 'bench',
    filters: [{ filter: 'rest_output', url: sink, sender: 'sink' }],
    author: 'bench',
  });
  const sender = await createSender(db.db, { name: 'bench', output_chain: 'bench' });
  const { key } = await createApiKey(db.db, { senderId: sender.id });
  load.send({ base, key, total, concurrency });
  const [{ lines }] = (await once(load, 'message')) as [{ lines: string[] }];
  for (const line of lines) out(line);
  const rate = Number(/ (\d+) delivered\/s/.exec(lines.join('\n'))?.[1] ?? Number.NaN);
  const tps = pgbenchTps();
  out(
    tps === null
      ? 'reference: pgbench not available'
      : `reference: pgbench, ${concurrency} clients, one 4 KB insert + commit per transaction: ${tps.toFixed(0)} tps; Koukan ÷ pgbench: ${(rate / tps).toFixed(2)}×`,
  );
  // Where the time went, from the database's own timestamps (server clock, all transactions).
  const { rows } = await db.pool.query<Record<string, string>>(`
    select
      percentile_cont(0.5) within group (order by extract(epoch from a.started_at - t.created_at) * 1000)::int as wait_p50,
      percentile_cont(0.99) within group (order by extract(epoch from a.started_at - t.created_at) * 1000)::int as wait_p99,
      percentile_cont(0.5) within group (order by extract(epoch from a.finished_at - a.started_at) * 1000)::int as run_p50,
      percentile_cont(0.99) within group (order by extract(epoch from a.finished_at - a.started_at) * 1000)::int as run_p99
    from transactions t join attempts a on a.transaction_id = t.id`);
  const r = rows[0]!;
  out(
    `server side: created→attempt started p50 ${r.wait_p50} ms, p99 ${r.wait_p99} ms; attempt started→recorded p50 ${r.run_p50} ms, p99 ${r.run_p99} ms`,
  );
  if (lines.some((l) => l.startsWith('failed'))) process.exitCode = 1;
} finally {
  load.kill();
  await app.close();
  await engine.stop();
  await db.destroy();
}
