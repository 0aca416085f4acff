import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import {
  type TransactionStatus,
  type TransitionName,
  transitions,
} from '../schema/transactions/state.ts';
import { arrayParam, type QueueFilter, queueCondition } from './queue.ts';

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

export interface BulkTarget {
  id: string;
  status: TransactionStatus;
}

/**
 * The next `limit` eligible transactions of a bulk action, by ascending id after `afterId`
 * (keyset), read without locking: `applyTransition` re-checks their statuses.
 */
export async function pickBulkTargets(
  db: DbOrTx,
  input: {
    filter: QueueFilter;
    name: TransitionName;
    afterId?: string;
    limit: number;
  },
): Promise<BulkTarget[]> {
  const after = input.afterId ? sql`and t.id > ${input.afterId}::uuid` : sql``;
  const picked = await db.execute<{ id: string; status: TransactionStatus }>(sql`
    select t.id, t.status from transactions t
    where ${queueCondition(input.filter)} and t.status = any(${arrayParam(transitions[input.name].from, 'text')}) ${after}
    order by t.id
    limit ${input.limit}`);
  return picked.rows;
}
