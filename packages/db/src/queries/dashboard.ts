import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';

/** Rollup counts per bucket and outcome since `from` (bucket starts aligned to `origin`). */
export async function rollupSeries(
  db: DbOrTx,
  input: { from: Date; bucketSeconds: number; senderId?: string },
): Promise<{ t: Date; outcome: string; n: number }[]> {
  const sender = input.senderId ? sql`and sender_id = ${input.senderId}` : sql``;
  const r = await db.execute<{ t: string; outcome: string; n: number }>(sql`
    select date_bin(make_interval(secs => ${input.bucketSeconds}), minute,
        ${input.from.toISOString()}::timestamptz) as t,
      outcome, sum(count)::int as n
    from delivery_rollup
    where minute >= ${input.from.toISOString()}::timestamptz ${sender}
    group by 1, 2`);
  return r.rows.map((row) => ({ t: new Date(row.t), outcome: row.outcome, n: row.n }));
}

/** The time of the newest event the rollup has counted (null before the first pass). */
export async function rollupCoveredUntil(db: DbOrTx): Promise<Date | null> {
  const r = await db.execute<{ at: string | null }>(sql`
    select (select e.at from events e where e.id = s.watermark) as at
    from rollup_state s where s.name = 'timeline'`);
  const at = r.rows[0]?.at;
  return at ? new Date(at) : null;
}

export interface QueueCounts {
  queued: number;
  due_now: number;
  inflight: number;
  held: number;
  awaiting_body: number;
  oldest_waiting: Date | null;
}

/** Queue depth from partial and status indexes (index-only counts); no table scan. */
export async function queueCounts(db: DbOrTx): Promise<QueueCounts> {
  const r = await db.execute<
    Omit<QueueCounts, 'oldest_waiting'> & {
      oldest_queued: string | null;
      oldest_inflight: string | null;
    }
  >(sql`select
    (select count(*) from transactions where status = 'queued' and next_attempt_at is not null)::int as queued,
    (select count(*) from transactions where status = 'queued' and next_attempt_at is not null
      and next_attempt_at <= now())::int as due_now,
    (select count(*) from transactions where status = 'inflight')::int as inflight,
    (select count(*) from transactions where status = 'held')::int as held,
    (select count(*) from transactions where status = 'queued' and next_attempt_at is null)::int
      as awaiting_body,
    (select created_at from transactions where status = 'queued'
      order by status, created_at asc nulls first, id asc nulls first limit 1) as oldest_queued,
    (select created_at from transactions where status = 'inflight'
      order by status, created_at asc nulls first, id asc nulls first limit 1) as oldest_inflight`);
  const { oldest_queued, oldest_inflight, ...counts } = r.rows[0]!;
  const oldest = [oldest_queued, oldest_inflight]
    .filter((x): x is string => x !== null)
    .map((x) => new Date(x))
    .sort((a, b) => a.getTime() - b.getTime())[0];
  return { ...counts, oldest_waiting: oldest ?? null };
}

/** One reply of the deferral rollup: `enhanced` null when the reply gave none. */
export interface DeferralReply {
  code: number;
  enhanced: string | null;
  text: string;
  n: number;
}

/** Domains by deferrals since `from`, with each one's replies (most frequent first). */
export async function topDeferralDomains(
  db: DbOrTx,
  input: { from: Date; limit: number; repliesPerDomain: number },
): Promise<{ domain: string; deferrals: number; replies: DeferralReply[] }[]> {
  const r = await db.execute<{
    domain: string;
    deferrals: number;
    replies: DeferralReply[];
  }>(sql`
    with d as (
      select domain, sum(count)::int as deferrals from deferral_rollup
      where minute >= ${input.from.toISOString()}::timestamptz
      group by 1 order by 2 desc, 1 limit ${input.limit}
    ), r as (
      select domain, reply_code, reply_enhanced, reply_text, sum(count)::int as n,
        row_number() over (partition by domain
          order by sum(count) desc, reply_code, reply_enhanced, reply_text) as k
      from deferral_rollup
      where minute >= ${input.from.toISOString()}::timestamptz and domain in (select domain from d)
      group by 1, 2, 3, 4
    )
    select d.domain, d.deferrals,
      coalesce((select json_agg(json_build_object('code', r.reply_code,
        'enhanced', nullif(r.reply_enhanced, ''), 'text', r.reply_text, 'n', r.n)
        order by r.k) from r where r.domain = d.domain and r.k <= ${input.repliesPerDomain}), '[]') as replies
    from d order by d.deferrals desc, d.domain`);
  return r.rows;
}
