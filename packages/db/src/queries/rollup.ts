import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';

/** Serialises rollup passes across replicas (pg_try_advisory_xact_lock key). */
const ROLLUP_LOCK = 7357011;
const STATE = 'timeline';

export interface RollupPassResult {
  /** False when another replica held the lock (nothing was done). */
  ran: boolean;
  /** Events read in this pass (all types), i.e. the id range counted. */
  fromId: number;
  toId: number;
  /** Rollup rows written (upserted). */
  rows: number;
}

/**
 * One pass of the timeline rollup: counts the events between the watermark and the events id
 * sequence's value as recorded by an earlier pass at least `lagMs` ago, into delivery_rollup
 * (per minute, sender, outcome) and deferral_rollup (per minute, recipient domain, reply), and
 * moves the watermark there; then records the sequence's current value for a later pass.
 *
 * Why the lag: event ids are allocated at insert but become visible at commit, so ids can
 * appear out of order. Every id at or below a value read from the sequence at time T was
 * allocated by a transaction open at T; after `lagMs` (longer than any write transaction runs)
 * all of them have committed or rolled back, and the range is complete. With `lagMs` 0 the
 * pass counts up to the sequence's value now (for a loader with no concurrent writers).
 *
 * Idempotent and safe with several replicas: one pass at a time (advisory lock), and the counts
 * and the watermark commit together, so a range is never counted twice or skipped.
 */
export async function runRollupPass(
  db: DbOrTx,
  options: { lagMs: number },
): Promise<RollupPassResult> {
  return db.transaction(async (tx) => {
    const lock = await tx.execute<{ ok: boolean }>(
      sql`select pg_try_advisory_xact_lock(${ROLLUP_LOCK}) as ok`,
    );
    if (!lock.rows[0]?.ok) return { ran: false, fromId: 0, toId: 0, rows: 0 };
    await tx.execute(sql`insert into rollup_state (name) values (${STATE}) on conflict do nothing`);
    const state = await tx.execute<{
      watermark: string;
      pending_upto: string | null;
      ripe: boolean;
      current: string | null;
    }>(sql`select watermark, pending_upto,
        coalesce(pending_at <= now() - make_interval(secs => ${options.lagMs / 1000}), false)
          as ripe,
        pg_sequence_last_value(pg_get_serial_sequence('events', 'id')::regclass) as current
      from rollup_state where name = ${STATE} for update`);
    const s = state.rows[0]!;
    const watermark = Number(s.watermark);
    const current = Number(s.current ?? 0);
    const upto = options.lagMs === 0 ? current : s.ripe ? Number(s.pending_upto) : watermark;
    let rows = 0;
    if (upto > watermark) rows = await countRange(tx, watermark, upto);
    // A new mark once the last one is used up (re-marking every pass would never ripen).
    const remark = options.lagMs === 0 || s.ripe || s.pending_upto === null;
    await tx.execute(sql`update rollup_state
      set watermark = ${Math.max(upto, watermark)}, updated_at = now(),
        pending_upto = case when ${remark} then ${current} else pending_upto end,
        pending_at = case when ${remark} then now() else pending_at end
      where name = ${STATE}`);
    return { ran: true, fromId: watermark, toId: Math.max(upto, watermark), rows };
  });
}

/** Adds the events with from < id <= to to the rollups; returns the rows upserted. */
async function countRange(tx: DbOrTx, from: number, to: number): Promise<number> {
  const result = await tx.execute<{ n: number }>(sql`
    with e as (
      select e.at, e.type, e.data, e.attempt_id, t.sender_id, t.rcpt_addresses
      from events e join transactions t on t.id = e.transaction_id
      where e.id > ${from} and e.id <= ${to}
        and e.type in ('created', 'retry_scheduled', 'final', 'cancelled', 'cancel_requested')
    ), o as (
      select date_trunc('minute', at) as minute, sender_id,
        case type
          when 'created' then 'accepted'
          when 'retry_scheduled' then 'deferred'
          when 'final' then data->>'status'
          when 'cancelled' then 'cancelled'
          when 'cancel_requested' then
            case when data->>'to' = 'cancelled' then 'cancelled' end
        end as outcome
      from e
    ), d as (
      insert into delivery_rollup as r (minute, sender_id, outcome, count)
      select minute, sender_id, outcome, count(*)::int from o
      where outcome in ('accepted', 'delivered', 'deferred', 'failed', 'cancelled')
      group by 1, 2, 3
      on conflict (minute, sender_id, outcome) do update set count = r.count + excluded.count
      returning 1
    ), replies as (
      select date_trunc('minute', e.at) as minute,
        coalesce(substring(e.rcpt_addresses[1] from '@([^@]*)$'), '') as domain,
        ${failingReply} as reply, a.error
      from e left join attempts a on a.id = e.attempt_id
      where e.type = 'retry_scheduled'
    ), f as (
      insert into deferral_rollup as r (minute, domain, reply_code, reply_enhanced, reply_text,
        count)
      select minute, domain,
        coalesce((reply->>'code')::int, 0),
        coalesce(reply->>'enhanced', ''),
        left(regexp_replace(coalesce(reply->>'message', error, 'no reply'),
          '\\m(?=\\S*\\d)\\S{10,}', '…', 'g'), 200),
        count(*)::int
      from replies
      group by 1, 2, 3, 4, 5
      on conflict (minute, domain, reply_code, reply_enhanced, reply_text) do update
        set count = r.count + excluded.count
      returning 1
    )
    select (select count(*) from d)::int + (select count(*) from f)::int as n`);
  return result.rows[0]?.n ?? 0;
}

/** The attempt's first reply that was not a success: MAIL, else a RCPT, else DATA. */
const failingReply = sql.raw(`case
  when (a.mail_response->>'code')::int >= 400 then a.mail_response
  else coalesce(
    (select r from jsonb_array_elements(coalesce(a.rcpt_response, '[]'::jsonb)) r
      where jsonb_typeof(r) = 'object' and (r->>'code')::int >= 400 limit 1),
    case when (a.data_response->>'code')::int >= 400 then a.data_response end)
  end`);
