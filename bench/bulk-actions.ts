/**
 * Bulk actions at scale: in a table of `total` transactions (queued, delivered and failed,
 * over 50 destination domains), one group of `group` waiting messages (one domain, one reply
 * pattern) is counted, held, released and cancelled through the service layer, as the
 * console calls it. Real PostgreSQL from DATABASE_URL (a private database is created and
 * dropped).
 * A pgbench run on the same PostgreSQL before and after (TPC-B-like, 4 clients, 15 s) is the
 * reference: these machines vary twofold from day to day, so a figure counts as seconds × tps.
 * Usage: DATABASE_URL=postgres://… npm run bench:bulk [-- group total concurrency]
 */
import { execFileSync } from 'node:child_process';
import { createSender } from '@koukan/db';
import { createTestDatabase } from '@koukan/db/testing';
import pino from 'pino';
import {
  applyBulkAction,
  countBulkAction,
  listQueueGroups,
  type ServiceContext,
} from '../packages/services/src/index.ts';

const group = Number(process.argv[2] ?? 100_000);
const total = Number(process.argv[3] ?? 1_000_000);
const concurrency = Number(process.argv[4] ?? 2);
const out = (line: string) => process.stdout.write(`${line}\n`);
if (!process.env.DATABASE_URL) out('note: DATABASE_URL unset, measuring the embedded database');

const db = await createTestDatabase({ poolSize: 4 });
/** pgbench's tps on the bench's own database (its tables dropped again), or null without it. */
function pgbenchTps(): number | null {
  try {
    execFileSync('pgbench', ['-i', '-q', '-s', '10', db.url], { stdio: 'ignore' });
    const outText = execFileSync('pgbench', ['-c', '4', '-j', '2', '-T', '15', db.url], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    execFileSync('pgbench', ['-i', '-I', 'd', db.url], { stdio: 'ignore' });
    return Number(/tps = ([\d.]+)/.exec(outText)?.[1] ?? Number.NaN);
  } catch {
    return null;
  }
}
try {
  const tpsBefore = pgbenchTps();
  out(`reference before: pgbench ${tpsBefore?.toFixed(0) ?? 'not available'} tps`);
  const sender = await createSender(db.db, { name: 'bench' });
  const ctx: ServiceContext = {
    db: db.db,
    logger: pino({ level: 'silent' }),
    actor: 'user:bench@example.com',
  };
  let t0 = performance.now();
  // The group: waiting for full.example, answered "mailbox full" with varying numbers (in
  // steps of 10,000 rows, each under the pool's statement timeout on a loaded machine).
  for (let from = 0; from < group; from += 10_000) {
    await db.pool.query(
      `insert into transactions (sender_id, status, mail_from, rcpt_to, rcpt_addresses,
         rcpt_response, attempt_count, next_attempt_at, created_at)
       select $1, 'queued', '{"m":"app@example.com"}', jsonb_build_array(jsonb_build_object('m', 'u' || n || '@full.example')),
         array['u' || n || '@full.example'],
         jsonb_build_array(jsonb_build_object('code', 452, 'message', '4.2.2 mailbox full (' || n || ' bytes)')),
         1, now() + interval '10 minutes', now() - make_interval(secs => n % 86400)
       from generate_series($2::int + 1, $3::int) n`,
      [sender.id, from, Math.min(group, from + 10_000)],
    );
  }
  // Everything else: other domains, mostly delivered, some waiting or failed (in steps of
  // 25,000 rows, each under the pool's statement timeout on a loaded machine).
  const rest = Math.max(0, total - group);
  for (let from = 0; from < rest; from += 25_000) {
    await db.pool.query(
      `insert into transactions (sender_id, status, mail_from, rcpt_to, rcpt_addresses,
       data_response, attempt_count, next_attempt_at, finished_at, final_attempt_reason, created_at)
     select $1, s.status, '{"m":"app@example.com"}', jsonb_build_array(jsonb_build_object('m', 'u' || n || '@d' || (n % 50) || '.example')),
       array['u' || n || '@d' || (n % 50) || '.example'],
       jsonb_build_object('code', case s.status when 'delivered' then 250 when 'failed' then 550 else 451 end,
         'message', case s.status when 'delivered' then '2.0.0 ok queued as ' || md5(n::text)
           when 'failed' then '5.1.1 user unknown' else '4.4.1 connection timed out' end),
       1, case when s.status = 'queued' then now() + interval '5 minutes' end,
       case when s.status <> 'queued' then now() - make_interval(secs => n % 86400) end,
       case s.status when 'delivered' then 'upstream_success' when 'failed' then 'upstream_permanent_failure_rcpt' end,
       now() - make_interval(secs => n % 86400)
     from generate_series($2::int + 1, $3::int) n,
       lateral (select case when n % 20 = 0 then 'queued' when n % 33 = 0 then 'failed'
                            else 'delivered' end as status) s`,
      [sender.id, from, Math.min(rest, from + 25_000)],
    );
    out(`  ${group + Math.min(rest, from + 25_000)} rows, ${ms(t0)}`);
  }
  await db.pool.query('analyze transactions');
  out(`generated ${total} transactions (${group} in the group) in ${ms(t0)}`);

  t0 = performance.now();
  const groups = await listQueueGroups({ ctx, input: { filter: { queue: 'waiting' } } });
  out(`queue groups (waiting, domain + reply): ${groups.length} groups in ${ms(t0)}`);
  const top = groups[0]!;
  const selection = {
    filter: {
      domain: top.domain!,
      reply_code: top.replyCode,
      reply_pattern: top.replyPattern,
    },
  };
  out(`largest group: ${top.domain} ${top.replyCode} "${top.replyPattern}" ×${top.count}`);

  t0 = performance.now();
  const count = await countBulkAction({ ctx, input: { action: 'hold', selection } });
  out(`count for the confirmation: ${count.touches} in ${ms(t0)}`);

  for (const action of ['hold', 'release', 'cancel'] as const) {
    const sel = action === 'release' ? { filter: { queue: 'held' as const } } : selection;
    t0 = performance.now();
    const r = await applyBulkAction({ ctx, input: { action, selection: sel, concurrency } });
    out(
      `${action}: ${r.applied} messages in ${r.batches} batches (${concurrency} at a time) in ${ms(t0)}`,
    );
  }
  const tpsAfter = pgbenchTps();
  out(`reference after: pgbench ${tpsAfter?.toFixed(0) ?? 'not available'} tps`);
} finally {
  await db.destroy();
}

function ms(t0: number): string {
  const d = performance.now() - t0;
  return d >= 1000 ? `${(d / 1000).toFixed(2)} s` : `${d.toFixed(0)} ms`;
}
