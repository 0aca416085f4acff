import { type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import {
  CANCEL_REQUESTED_EVENT,
  type TransactionStatus,
  type TransitionName,
  transitions,
} from '../schema/transactions/state.ts';
import { arrayParam } from './queue.ts';

/** The columns a transition sets, as SQL over the alias `t`, with `now` the transition's time. */
function transitionSet(name: TransitionName, now: SQL): SQL {
  switch (name) {
    case 'hold':
      return sql`status = 'held', next_attempt_at = null`;
    case 'release':
    case 'retry_now':
      return sql`status = 'queued', next_attempt_at = ${now}`;
    case 'cancel':
      // In flight: only flagged; the engine ends the attempt as cancelled when it records it.
      return sql`
        status = case when t.status = 'inflight' then t.status else 'cancelled' end,
        cancel_requested_at = case when t.status = 'inflight'
          then coalesce(t.cancel_requested_at, ${now}) else ${now} end,
        final_attempt_reason = case when t.status = 'inflight'
          then t.final_attempt_reason else 'cancelled' end,
        finished_at = case when t.status = 'inflight' then t.finished_at else ${now} end,
        next_attempt_at = case when t.status = 'inflight' then t.next_attempt_at else null end`;
  }
}

export interface TransitionInput {
  name: TransitionName;
  /** The transactions, each with the status it was read at (written as the event's `from`). */
  rows: readonly { id: string; status: TransactionStatus | string }[];
  actor: string;
  now: Date;
  /** Added to each timeline event's data (e.g. a bulk id, a reason). */
  data?: Record<string, unknown>;
}

/**
 * Applies one transition of the state machine to the given transactions, in one statement:
 * each row still in one of the transition's `from` statuses is changed (version bumped) and
 * gets its timeline event (`{actor, from, to, ...data}`); a row that moved on meanwhile (one
 * the engine claimed or finished) is waited for, re-checked by PostgreSQL on its new version,
 * and left out when no longer eligible. The ids are one array value, so the planner knows how
 * many rows it touches. Returns how many changed.
 */
export async function applyTransition(db: DbOrTx, input: TransitionInput): Promise<number> {
  if (input.rows.length === 0) return 0;
  const { from, event } = transitions[input.name];
  const now = sql`${input.now.toISOString()}::timestamptz`;
  const ids = arrayParam(
    input.rows.map((r) => r.id),
    'uuid',
  );
  const statuses = arrayParam(
    input.rows.map((r) => r.status),
    'text',
  );
  const result = await db.execute<{ applied: number }>(sql`
    with target as (
      select * from unnest(${ids}, ${statuses}) as x(id, status)
    ), u as (
      update transactions t set ${transitionSet(input.name, now)},
        version = t.version + 1, updated_at = now()
      where t.id = any(${ids}) and t.status = any(${arrayParam(from, 'text')})
      returning t.id, t.status as to_status
    ), e as (
      insert into events (transaction_id, type, data)
      select u.id,
        case when u.to_status = 'inflight' then ${CANCEL_REQUESTED_EVENT} else ${event} end,
        jsonb_build_object('actor', ${input.actor}::text, 'from', target.status,
          'to', u.to_status) || ${JSON.stringify(input.data ?? {})}::jsonb
      from u join target on target.id = u.id
    )
    select count(*)::int as applied from u`);
  return result.rows[0]?.applied ?? 0;
}
