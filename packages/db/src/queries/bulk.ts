import { type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import type { TransactionStatus } from '../schema/transactions/table.ts';
import { arrayParam, type QueueFilter, queueCondition } from './queue.ts';

export type BulkTransition = 'hold' | 'release' | 'retry_now' | 'cancel';

/**
 * The set-based form of the single-message operator actions (services' `delivery/*.ts`, whose
 * `from` lists the caller passes in): the columns each sets, as SQL over the alias `t`, with
 * `now` the action's time. A test holds both forms to the same result.
 */
function transitionSet(action: BulkTransition, now: SQL): SQL {
  switch (action) {
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

export interface BulkCount {
  /** Transactions the selection names. */
  matched: number;
  /** Of those, the ones the action applies to (its `from` statuses). */
  eligible: number;
  /** Of those matched, the ones in flight right now. */
  inflight: number;
}

/** What a bulk action would touch, for the confirmation ("this touches N messages"). */
export async function countBulkTargets(
  db: DbOrTx,
  input: { filter: QueueFilter; from: readonly TransactionStatus[] },
): Promise<BulkCount> {
  const result = await db.execute<{ matched: number; eligible: number; inflight: number }>(sql`
    select count(*)::int as matched,
      count(*) filter (where t.status = any(${arrayParam(input.from, 'text')}))::int as eligible,
      count(*) filter (where t.status = 'inflight')::int as inflight
    from transactions t
    where ${queueCondition(input.filter)}`);
  return result.rows[0] ?? { matched: 0, eligible: 0, inflight: 0 };
}

export interface BulkTarget {
  id: string;
  status: TransactionStatus;
}

/**
 * The next `limit` eligible transactions of a bulk action, by ascending id after `afterId`
 * (keyset), read without locking: `applyBulkTargets` re-checks their statuses.
 */
export async function pickBulkTargets(
  db: DbOrTx,
  input: {
    filter: QueueFilter;
    from: readonly TransactionStatus[];
    afterId?: string;
    limit: number;
  },
): Promise<BulkTarget[]> {
  const after = input.afterId ? sql`and t.id > ${input.afterId}::uuid` : sql``;
  const picked = await db.execute<{ id: string; status: TransactionStatus }>(sql`
    select t.id, t.status from transactions t
    where ${queueCondition(input.filter)} and t.status = any(${arrayParam(input.from, 'text')}) ${after}
    order by t.id
    limit ${input.limit}`);
  return picked.rows;
}

export interface BulkApplyInput {
  targets: readonly BulkTarget[];
  action: BulkTransition;
  from: readonly TransactionStatus[];
  /** Timeline event type, as the single-message action writes it. */
  event: string;
  actor: string;
  /** Written into each timeline event, and the audit entry, to tie them together. */
  bulkId: string;
  now: Date;
}

/**
 * One batch of a bulk action: one statement changes the picked transactions (version bumped)
 * and writes their timeline events. The UPDATE is given their ids as one array value, so the
 * planner knows how many rows it touches whatever the statistics of the statuses the action
 * just changed say (a subquery's ids once led it to scan the held queue once per id), and it
 * re-checks the action's `from` statuses: a row that changed meanwhile (one the engine claimed)
 * is waited for, re-checked on its new version by PostgreSQL, and left out when no longer
 * eligible. Not locking first saves a second write of every row (`FOR UPDATE` writes the row's
 * lock, the update writes it again). Returns how many changed.
 */
export async function applyBulkTargets(db: DbOrTx, input: BulkApplyInput): Promise<number> {
  if (input.targets.length === 0) return 0;
  const from = arrayParam(input.from, 'text');
  const now = sql`${input.now.toISOString()}::timestamptz`;
  const ids = arrayParam(
    input.targets.map((r) => r.id),
    'uuid',
  );
  const statuses = arrayParam(
    input.targets.map((r) => r.status),
    'text',
  );
  const result = await db.execute<{ applied: number }>(sql`
    with target as (
      select * from unnest(${ids}, ${statuses}) as x(id, status)
    ), u as (
      update transactions t set ${transitionSet(input.action, now)},
        version = t.version + 1, updated_at = now()
      where t.id = any(${ids}) and t.status = any(${from})
      returning t.id, t.status as to_status
    ), e as (
      insert into events (transaction_id, type, data)
      select u.id, ${input.event}, jsonb_build_object('actor', ${input.actor}::text,
        'from', target.status, 'to', u.to_status, 'bulk_id', ${input.bulkId}::text)
      from u join target on target.id = u.id
    )
    select count(*)::int as applied from u`);
  return result.rows[0]?.applied ?? 0;
}
