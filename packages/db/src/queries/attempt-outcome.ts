import { and, eq, isNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { executePrepared } from '../client/prepared.ts';
import { mapRow } from '../client/rows.ts';
import { type Attempt, attempts } from '../schema/attempts/table.ts';
import { type Transaction, transactions } from '../schema/transactions/table.ts';
import type { EventInput } from './events.ts';
import type { TransactionPatch } from './transactions.ts';

export type AttemptResult = Pick<
  Attempt,
  'outcome' | 'upstreamHost' | 'mailResponse' | 'rcptResponse' | 'dataResponse' | 'error'
>;

export interface OutcomeWrite {
  transactionId: string;
  attemptId: string;
  owner: string;
  /** The version the row had when it was claimed: nothing is written if it moved since. */
  version: number;
  attempt: AttemptResult;
  /** The transaction's new state (the version is bumped and `updated_at` set here). */
  patch: TransactionPatch;
  /** Timeline events, written only with the rest. */
  events: EventInput[];
}

/**
 * Writes an attempt's outcome in one statement — the transaction row, the attempt row and the
 * timeline, as sub-statements of one CTE — when nothing touched the row since it was claimed:
 * still in flight under this owner, at the claimed `version` (a cancel request, a hold or a
 * PATCH bump it), and the attempt still open (a takeover closes it). Returns the updated row,
 * or undefined having written nothing: the caller then takes the locking path.
 *
 * The transactions row is updated (and locked) first, then the attempt, as a claim does, so
 * the two cannot deadlock; each UPDATE re-checks its condition on the latest row version.
 */
export async function writeOutcomeIfUnchanged(
  db: DbOrTx,
  input: OutcomeWrite,
): Promise<Transaction | undefined> {
  const t = transactions;
  const updated = db
    .update(t)
    .set({ ...input.patch, version: sql`${t.version} + 1`, updatedAt: sql`now()` })
    .where(
      and(
        eq(t.id, input.transactionId),
        eq(t.status, 'inflight'),
        eq(t.leaseOwner, input.owner),
        eq(t.version, input.version),
      ),
    )
    .returning();
  const finished = db
    .update(attempts)
    .set({ ...input.attempt, finishedAt: sql`now()` })
    .where(
      and(
        eq(attempts.id, input.attemptId),
        isNull(attempts.finishedAt),
        sql`exists (select 1 from u)`,
      ),
    )
    .returning({ id: attempts.id });
  const timeline = JSON.stringify(
    input.events.map((e) => ({
      transaction_id: e.transactionId,
      attempt_id: e.attemptId ?? null,
      type: e.type,
      data: e.data ?? {},
    })),
  );
  const rows = await executePrepared<{ t: Record<string, unknown>; finished: boolean }>(
    db,
    sql`
    with u as ${updated}, a as ${finished}, e as (
      insert into events (transaction_id, attempt_id, type, data)
      select x.transaction_id, x.attempt_id, x.type, x.data
      from jsonb_to_recordset(${timeline}::jsonb)
        as x(transaction_id uuid, attempt_id uuid, type text, data jsonb)
      where exists (select 1 from a)
    )
    select row_to_json(u) as t, exists (select 1 from a) as finished from u`,
  );
  const row = rows[0];
  if (!row) return undefined;
  if (!row.finished) {
    // Cannot happen while takeovers close attempts in the statement that moves the lease.
    throw new Error(`attempt ${input.attemptId} was closed while its lease was held`);
  }
  return mapRow(t, row.t);
}
