import { and, asc, eq, inArray, isNull, lt, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { blobs } from '../schema/blobs/table.ts';
import { events } from '../schema/events/table.ts';
import { transactions as t } from '../schema/transactions/table.ts';

/**
 * Retention of transactions still waiting for their body: queued with `next_attempt_at` null
 * (the REST API sets it once the body is complete). Both steps walk
 * `transactions_awaiting_body_idx`, which holds only those rows (the uploads in progress).
 */
const awaitingBody = and(eq(t.status, 'queued'), isNull(t.nextAttemptAt)) as SQL;

/**
 * Those created before `createdBefore` fail with `downstream_timeout` (the submitter never
 * finished). Bounded, safe concurrently.
 */
export async function failBodylessTransactions(
  db: DbOrTx,
  input: { createdBefore: Date; limit: number },
): Promise<string[]> {
  return db.transaction(async (tx) => {
    const victims = await tx
      .select({ id: t.id })
      .from(t)
      .where(and(awaitingBody, lt(t.createdAt, input.createdBefore)))
      .orderBy(asc(t.createdAt))
      .limit(input.limit)
      .for('update', { skipLocked: true });
    return failAwaitingBody(
      tx,
      victims.map((v) => v.id),
    );
  });
}

/**
 * Those whose sender heartbeats (`metadata.heartbeat_at`, set by PATCH `{"heartbeat": true}`:
 * an incremental sender such as the SMTP gateway) and shows no sign of life since `silentSince`
 * — neither a heartbeat nor a body chunk (the body blob's `updated_at`) — fail with
 * `downstream_timeout`: the sender that fed them is gone. Their exploded upstreams still
 * waiting for a body fail with them. Bounded, safe concurrently.
 */
export async function failSilentIncrementalTransactions(
  db: DbOrTx,
  input: { silentSince: Date; limit: number },
): Promise<string[]> {
  return db.transaction(async (tx) => {
    const victims = await tx
      .select({ id: t.id })
      .from(t)
      .leftJoin(blobs, eq(blobs.id, t.bodyBlobId))
      .where(
        and(
          awaitingBody,
          sql`${t.metadata} ? 'heartbeat_at'`,
          // greatest() ignores a null: no body blob, or no chunk yet.
          sql`greatest((${t.metadata}->>'heartbeat_at')::timestamptz, ${blobs.updatedAt}) < ${input.silentSince.toISOString()}::timestamptz`,
        ),
      )
      .orderBy(asc(t.createdAt))
      .limit(input.limit)
      .for('update', { of: t, skipLocked: true });
    if (victims.length === 0) return [];
    const ids = victims.map((v) => v.id);
    const upstreams = await tx
      .select({ id: t.id })
      .from(t)
      .where(and(inArray(t.parentId, ids), awaitingBody))
      .for('update', { skipLocked: true });
    return failAwaitingBody(tx, [...ids, ...upstreams.map((u) => u.id)]);
  });
}

/** The final write: `failed`, `downstream_timeout`, and a `final` event per row. */
async function failAwaitingBody(tx: DbOrTx, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await tx
    .update(t)
    .set({
      status: 'failed',
      finalAttemptReason: 'downstream_timeout',
      finishedAt: sql`now()`,
      nextAttemptAt: null,
      version: sql`${t.version} + 1`,
      updatedAt: sql`now()`,
    })
    .where(and(inArray(t.id, ids), awaitingBody))
    .returning({ id: t.id });
  if (rows.length) {
    await tx.insert(events).values(
      rows.map((r) => ({
        transactionId: r.id,
        type: 'final',
        data: { status: 'failed', reason: 'downstream_timeout' },
      })),
    );
  }
  return rows.map((r) => r.id);
}
