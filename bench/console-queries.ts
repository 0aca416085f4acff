/**
 * The console's page queries at scale (issue 11): loads N generated transactions (default
 * 1,000,000, via demo-data) into a fresh database on the server of DATABASE_URL, then calls each
 * console service the pages use, captures every SQL statement it runs, and prints each one's
 * EXPLAIN (ANALYZE, BUFFERS) execution time. Target: every list query < 300 ms.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:console
 *   … -- --transactions 200000        a smaller load
 *   … -- --database <name> --reuse     measure an already loaded database (no load, kept)
 *   … -- --keep                        keep the fresh database afterwards
 */
import { parseArgs } from 'node:util';
import { createDb, migrate } from '@koukan/db';
import { generateDemoData } from '@koukan/db/demo';
import * as schema from '@koukan/db/schema';
import {
  getDashboardSeries,
  getMessage,
  getQueueStats,
  getTopDeferralDomains,
  getTransactionDetail,
  type ListTransactionsInput,
  listRouterInstances,
  listTransactions,
  type ServiceContext,
} from '@koukan/services';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import pino from 'pino';

const { values: args } = parseArgs({
  options: {
    transactions: { type: 'string', default: '1000000' },
    database: { type: 'string' },
    reuse: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const base = process.env.DATABASE_URL;
if (!base)
  throw new Error('set DATABASE_URL to a PostgreSQL server (the bench creates its own database)');
const dbName = args.database ?? `koukan_bench_console_${Date.now()}`;
const url = new URL(base);
url.pathname = `/${dbName}`;

async function admin(text: string) {
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

if (!args.reuse) await admin(`create database ${dbName}`);
const handle = createDb({
  url: url.toString(),
  statementTimeoutMs: 0,
  applicationName: 'bench-console',
});
await migrate(handle.pool);
const logger = pino({ level: 'silent' });
const out = (s: string) => process.stdout.write(`${s}\n`);

if (!args.reuse) {
  const n = Number(args.transactions);
  const started = Date.now();
  const r = await generateDemoData(handle.db, {
    transactions: n,
    onProgress: (done, total) => process.stderr.write(`\rloaded ${done}/${total}`),
  });
  process.stderr.write('\n');
  out(
    `loaded ${r.transactions} transactions, ${r.attempts} attempts, ${r.events} events in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}
// Fresh statistics and visibility map (index-only scans), as autovacuum would leave them.
await handle.pool.query('vacuum analyze');

/** A context whose database records every statement a service runs. */
function capturing(): { ctx: ServiceContext; statements: { sql: string; params: unknown[] }[] } {
  const statements: { sql: string; params: unknown[] }[] = [];
  const db = drizzle({
    client: handle.pool,
    schema,
    logger: { logQuery: (sql, params) => statements.push({ sql, params }) },
  });
  return { ctx: { db, logger, actor: 'user:bench@example.com' }, statements };
}

interface Row {
  page: string;
  statements: number;
  execMs: number;
  planningMs: number;
  wallMs: number;
}
const rows: Row[] = [];

async function measure(page: string, call: (ctx: ServiceContext) => Promise<unknown>) {
  const warm = capturing();
  await call(warm.ctx);
  const run = capturing();
  const t0 = performance.now();
  await call(run.ctx);
  const wallMs = performance.now() - t0;
  let execMs = 0;
  let planningMs = 0;
  for (const s of run.statements) {
    const res = await handle.pool.query(
      `explain (analyze, buffers, format json) ${s.sql}`,
      s.params,
    );
    const plan = (
      res.rows[0] as { 'QUERY PLAN': { 'Execution Time': number; 'Planning Time': number }[] }
    )['QUERY PLAN'][0]!;
    execMs += plan['Execution Time'];
    planningMs += plan['Planning Time'];
  }
  rows.push({ page, statements: run.statements.length, execMs, planningMs, wallMs });
  process.stderr.write(`${page}: ${execMs.toFixed(1)} ms\n`);
}

const list = (input: ListTransactionsInput) => (ctx: ServiceContext) =>
  listTransactions({ ctx, input });
async function pageN(input: ListTransactionsInput, n: number) {
  const { ctx } = capturing();
  let cursor: string | undefined;
  for (let i = 1; i < n; i++) {
    cursor =
      (await listTransactions({ ctx, input: { ...input, ...(cursor && { cursor }) } }))
        .nextCursor ?? undefined;
  }
  return { ...input, ...(cursor && { cursor }) };
}

const pick = async (text: string) =>
  (await handle.pool.query(text)).rows[0] as Record<string, string>;
const sample = await pick(`select message_id, created_at from transactions
  where message_id is not null order by created_at desc offset 5000 limit 1`);
const parent = await pick(
  `select parent_id as id from transactions where metadata ? 'exploded_from' limit 1`,
);
const failed = await pick(
  `select id from transactions where status = 'failed' and attempt_count = 5 limit 1`,
);
const senderNames = (
  await handle.pool.query<{ name: string }>(`select name from senders order by name`)
).rows.map((r) => r.name);
const big = senderNames.includes('demo-shop') ? 'demo-shop' : senderNames[0]!;
const small = senderNames.includes('demo-alerts') ? 'demo-alerts' : senderNames.at(-1)!;
const windowEnd = new Date(Date.now() - 3 * 86_400_000);
const windowStart = new Date(windowEnd.getTime() - 3_600_000);

await measure('list: no filter (page 1, 50 rows)', list({}));
await measure('list: page 2', list(await pageN({}, 2)));
await measure('list: page 20', list(await pageN({}, 20)));
await measure('list: status = failed', list({ status: 'failed' }));
await measure('list: status = failed, page 5', list(await pageN({ status: 'failed' }, 5)));
await measure('list: status in (queued, held)', list({ status: ['queued', 'held'] }));
await measure('list: status = held', list({ status: 'held' }));
await measure(`list: sender = ${big}`, list({ sender: big }));
await measure(`list: sender = ${small}`, list({ sender: small }));
await measure(
  `list: sender = ${small}, status = failed`,
  list({ sender: small, status: 'failed' }),
);
await measure(
  `list: sender = ${small}, status = held, page 3`,
  list(await pageN({ sender: small, status: 'held' }, 3)),
);
await measure('list: envelope sender prefix "bounces+1"', list({ mail_from_prefix: 'bounces+1' }));
await measure('list: envelope sender prefix "nobody"', list({ mail_from_prefix: 'nobody' }));
await measure('list: recipient prefix "zoe."', list({ rcpt_prefix: 'zoe.' }));
await measure('list: recipient prefix "zoe.tanaka5"', list({ rcpt_prefix: 'zoe.tanaka5' }));
await measure('list: recipient prefix "nobody-such"', list({ rcpt_prefix: 'nobody-such' }));
await measure('list: recipient domain gmail.com', list({ rcpt_domain: 'gmail.com' }));
await measure(
  'list: recipient domain customer4000.example',
  list({ rcpt_domain: 'customer4000.example' }),
);
await measure(
  'list: recipient domain none.example (no match)',
  list({ rcpt_domain: 'none.example' }),
);
await measure('list: Message-ID (exact)', list({ message_id: sample.message_id! }));
await measure(
  'list: final reason retry_policy_max_attempts',
  list({ final_reason: 'retry_policy_max_attempts' }),
);
await measure(
  'list: created in a 1 h window 3 days ago',
  list({ created_after: windowStart, created_before: windowEnd }),
);
await measure('list: gmail.com + failed', list({ rcpt_domain: 'gmail.com', status: 'failed' }));
await measure(
  `list: ${small} + failed + yahoo.com + max attempts`,
  list({
    sender: small,
    status: 'failed',
    rcpt_domain: 'yahoo.com',
    final_reason: 'retry_policy_max_attempts',
  }),
);
await measure('list: limit 200', list({ limit: 200 }));
await measure('detail: exploder parent', (ctx) =>
  getTransactionDetail({ ctx, input: { id: parent.id! } }),
);
await measure('detail: failed after 5 attempts', (ctx) =>
  getTransactionDetail({ ctx, input: { id: failed.id! } }),
);
await measure('message: parsed body', (ctx) => getMessage({ ctx, input: { id: failed.id! } }));
await measure('dashboard: series 1 h', (ctx) =>
  getDashboardSeries({ ctx, input: { range: '1h' } }),
);
await measure('dashboard: series 24 h', (ctx) =>
  getDashboardSeries({ ctx, input: { range: '24h' } }),
);
await measure('dashboard: series 7 d', (ctx) =>
  getDashboardSeries({ ctx, input: { range: '7d' } }),
);
await measure(`dashboard: series 7 d, sender ${small}`, (ctx) =>
  getDashboardSeries({ ctx, input: { range: '7d', sender: small } }),
);
await measure('dashboard: queue depth + oldest', (ctx) => getQueueStats({ ctx, input: {} }));
await measure('dashboard: top deferral domains 24 h', (ctx) =>
  getTopDeferralDomains({ ctx, input: { window: '24h' } }),
);
await measure('dashboard: top deferral domains 7 d', (ctx) =>
  getTopDeferralDomains({ ctx, input: { window: '7d' } }),
);
await measure('dashboard: router instances', (ctx) => listRouterInstances({ ctx, input: {} }));

const count = await pick('select count(*)::int as n from transactions');
out(`\n${count.n} transactions in ${dbName}\n`);
out(
  '| page query | statements | execution (ms, EXPLAIN ANALYZE) | planning (ms) | service wall (ms) |',
);
out('|---|---|---|---|---|');
for (const r of rows) {
  out(
    `| ${r.page} | ${r.statements} | ${r.execMs.toFixed(1)} | ${r.planningMs.toFixed(1)} | ${r.wallMs.toFixed(1)} |`,
  );
}
const slow = rows.filter((r) => r.page.startsWith('list') && r.execMs >= 300);
out(
  slow.length
    ? `\nlist queries at or over 300 ms: ${slow.map((r) => r.page).join('; ')}`
    : '\nevery list query < 300 ms',
);
await handle.close();
if (!args.reuse && !args.keep) await admin(`drop database ${dbName} with (force)`);
