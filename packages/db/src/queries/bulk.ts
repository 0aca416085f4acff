import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { type TransitionName, transitions } from '../schema/transactions/state.ts';
import { arrayParam, type QueueFilter, queueCondition } from './queue.ts';
import { applyTransition } from './transition.ts';

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
  input: { filter: QueueFilter; name: TransitionName },
): Promise<BulkCount> {
  const from = transitions[input.name].from;
  const result = await db.execute<{ matched: number; eligible: number; inflight: number }>(sql`
    select count(*)::int as matched,
      count(*) filter (where t.status = any(${arrayParam(from, 'text')}))::int as eligible,
      count(*) filter (where t.status = 'inflight')::int as inflight
    from transactions t
    where ${queueCondition(input.filter)}`);
  return result.rows[0] ?? { matched: 0, eligible: 0, inflight: 0 };
}

export interface BulkBatchInput {
  filter: QueueFilter;
  name: TransitionName;
  actor: string;
  /** Written into each timeline event, and the audit entry, to tie them together. */
  bulkId: string;
  now: Date;
  /** Keyset: only ids above this one (ascending id order). */
  afterId?: string;
  limit: number;
}

/**
 * One batch of a bulk action: the next `limit` eligible transactions by id are read (not
 * locked), then one statement (`applyTransition`) changes them and writes their timeline
 * events. The ids are handed over as one array value (a subquery's ids once led the planner
 * to scan the held queue once per id); not locking first saves a second write of every row
 * (`FOR UPDATE` writes the row's lock, the update writes it again). Returns how many changed
 * and the last id considered (null: nothing left).
 */
export async function applyBulkBatch(
  db: DbOrTx,
  input: BulkBatchInput,
): Promise<{ applied: number; lastId: string | null }> {
  const from = arrayParam(transitions[input.name].from, 'text');
  const after = input.afterId ? sql`and t.id > ${input.afterId}::uuid` : sql``;
  const picked = await db.execute<{ id: string; status: string }>(sql`
    select t.id, t.status from transactions t
    where ${queueCondition(input.filter)} and t.status = any(${from}) ${after}
    order by t.id
    limit ${input.limit}`);
  if (picked.rows.length === 0) return { applied: 0, lastId: null };
  const applied = await applyTransition(db, {
    name: input.name,
    rows: picked.rows,
    actor: input.actor,
    now: input.now,
    data: { bulk_id: input.bulkId },
  });
  return { applied, lastId: picked.rows.at(-1)!.id };
}
