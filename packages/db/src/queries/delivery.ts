import { and, eq, inArray, isNotNull, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { executeTemplate } from '../client/prepared.ts';
import { mapRow } from '../client/rows.ts';
import { type Attempt, attempts } from '../schema/attempts/table.ts';
import { blobs } from '../schema/blobs/table.ts';
import { events } from '../schema/events/table.ts';
import { instances } from '../schema/instances/table.ts';
import { type Transaction, transactions } from '../schema/transactions/table.ts';

/** A transaction this instance has just leased, with the attempt opened for it. */
export interface ClaimedTransaction {
  transaction: Transaction;
  attempt: Attempt;
  /** The attempt of a previous owner whose lease had expired, now recorded as abandoned. */
  abandoned?: Attempt;
  /** The rfc822 body's bytes, when the claimer holds them already (cut-through at creation). */
  body?: Buffer;
}

export interface ClaimInput {
  owner: string;
  leaseMs: number;
  limit: number;
  /** Claim only this transaction (cut-through); otherwise any due work. */
  id?: string;
  /**
   * Transactions this instance is running: never re-claimed by it even if their lease ran out
   * (a late renewal revives it; another replica may still take them over).
   */
  exclude?: string[];
}

const t = transactions;

/**
 * Claims due transactions into a lease with one conditional UPDATE whose row sources are two
 * `FOR UPDATE SKIP LOCKED` sub-selects, so concurrent replicas never claim the same row:
 *
 * - in flight under an expired lease (its owner died or lost the database; any replica may
 *   take it over), oldest expiry first, served by `transactions_lease_idx`;
 * - queued and due with a body to send, earliest first, served by `transactions_due_idx`.
 *
 * Two ordered index scans, because one sub-select with an OR of both sorts the whole due
 * backlog on every claim. Together at most `limit` rows, takeovers first.
 *
 * Readiness: the REST API leaves `next_attempt_at` null until the body is complete (every
 * byte uploaded, blobs finalized) and sets it then, so a transaction waiting for its body is
 * never due. `body_blob_id is not null or body_spec is not null` is a second guard against a
 * row that has no body at all.
 *
 * In the same statement (sub-statements of one CTE: one round trip, one commit), the
 * unfinished attempt of a taken-over lease is recorded as abandoned (and counted in
 * `attempt_count`), and a new attempt row and `attempt_started` event are written for each
 * claimed transaction.
 */
export async function claimTransactions(
  db: DbOrTx,
  input: ClaimInput,
): Promise<ClaimedTransaction[]> {
  const one = Boolean(input.id);
  const excluding = Boolean(input.exclude?.length);
  const rows = await executeTemplate<{
    transaction: Record<string, unknown>;
    attempt: Record<string, unknown>;
    abandoned: Record<string, unknown> | null;
  }>(db, `claim:${one}:${excluding}`, () => claimStatement(one, excluding), {
    owner: input.owner,
    leaseSecs: input.leaseMs / 1000,
    limit: input.limit,
    id: input.id ?? null,
    exclude: input.exclude ?? [],
  });
  return rows.map((r) => ({
    transaction: mapRow(t, r.transaction),
    attempt: mapRow(attempts, r.attempt),
    ...(r.abandoned && { abandoned: mapRow(attempts, r.abandoned) }),
  }));
}

/** The claim statement of one shape: for one transaction or any, excluding some or not. */
function claimStatement(one: boolean, excluding: boolean) {
  const p = (name: string) => sql.placeholder(name);
  const owner = p('owner');
  const only = one ? sql`and id = ${p('id')}::uuid` : sql``;
  const notMine = excluding ? sql`and id <> all(${p('exclude')}::uuid[])` : sql``;
  const limit = sql`${p('limit')}::int`;
  return sql`
    with expired as (
      select id from transactions
      where status = 'inflight' and lease_expires_at < now() ${only} ${notMine}
      order by lease_expires_at
      limit ${limit}
      for update skip locked
    ), due as (
      select id from transactions
      where status = 'queued' and next_attempt_at <= now()
        and (body_blob_id is not null or body_spec is not null) ${only}
      order by next_attempt_at
      limit greatest(${limit} - (select count(*) from expired), 0)
      for update skip locked
    ), claimed as (
      update transactions t set
        status = 'inflight',
        lease_owner = ${owner}::uuid,
        lease_expires_at = now() + make_interval(secs => ${p('leaseSecs')}::float8),
        -- an expired lease means an attempt that never finished: it counts as one
        attempt_count = t.attempt_count + case when t.status = 'inflight' then 1 else 0 end,
        version = t.version + 1,
        updated_at = now()
      from (select id, true as taken_over from expired
            union all select id, false from due) src
      where t.id = src.id
      returning t.*, src.taken_over
    ), abandoned as (
      update attempts a set outcome = 'abandoned', finished_at = now(),
        error = 'lease expired; taken over'
      from claimed c
      where a.transaction_id = c.id and c.taken_over and a.finished_at is null
      returning a.*
    ), opened as (
      insert into attempts (transaction_id, number, instance_id)
      select id, attempt_count + 1, ${owner}::uuid from claimed
      returning *
    ), timeline as (
      insert into events (transaction_id, attempt_id, type, data)
      select transaction_id, id, 'attempt_abandoned', jsonb_build_object(
        'number', number, 'instance_id', instance_id, 'taken_over_by', ${owner}::text)
      from abandoned
      union all
      select transaction_id, id, 'attempt_started', jsonb_build_object(
        'number', number, 'instance_id', ${owner}::text)
      from opened
    )
    select row_to_json(c) as transaction, row_to_json(o) as attempt,
      (select row_to_json(a) from abandoned a where a.transaction_id = c.id limit 1) as abandoned
    from claimed c join opened o on o.transaction_id = c.id
    order by c.next_attempt_at`;
}

/**
 * The guard every write of an attempt's owner goes through: the row is still in flight under
 * this owner, and this attempt has not been abandoned by a takeover. (The owner id alone is not
 * enough: an instance whose lease expired may have re-claimed the row itself.)
 */
export function leaseHeld(id: string, owner: string, attemptId: string): SQL {
  return and(
    eq(t.id, id),
    eq(t.status, 'inflight'),
    eq(t.leaseOwner, owner),
    sql`exists (select 1 from ${attempts} where ${attempts.id} = ${attemptId} and ${attempts.finishedAt} is null)`,
  )!;
}

/** Extends the lease; false when it is no longer held (the attempt must stop, writing nothing). */
export async function renewLease(
  db: DbOrTx,
  input: { id: string; owner: string; attemptId: string; leaseMs: number },
): Promise<boolean> {
  const rows = await db
    .update(t)
    .set({ leaseExpiresAt: sql`now() + make_interval(secs => ${input.leaseMs / 1000})` })
    .where(leaseHeld(input.id, input.owner, input.attemptId))
    .returning({ id: t.id });
  return rows.length > 0;
}

/**
 * Gives leases back (graceful stop): still-held rows return to the queue, due now, and their
 * open attempts are recorded as abandoned. Returns the ids released.
 */
export async function releaseLeases(
  db: DbOrTx,
  input: { owner: string; ids?: string[] },
): Promise<string[]> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(t)
      .set({
        status: 'queued',
        leaseOwner: null,
        leaseExpiresAt: null,
        nextAttemptAt: sql`now()`,
        attemptCount: sql`${t.attemptCount} + 1`,
        version: sql`${t.version} + 1`,
        updatedAt: sql`now()`,
      })
      .where(
        and(
          eq(t.status, 'inflight'),
          eq(t.leaseOwner, input.owner),
          input.ids ? inArray(t.id, input.ids) : undefined,
        ),
      )
      .returning({ id: t.id });
    const ids = rows.map((r) => r.id);
    if (ids.length === 0) return [];
    const closed = await tx
      .update(attempts)
      .set({ outcome: 'abandoned', finishedAt: sql`now()`, error: 'instance stopping' })
      .where(and(inArray(attempts.transactionId, ids), isNull(attempts.finishedAt)))
      .returning();
    if (closed.length) {
      await tx.insert(events).values(
        closed.map((a) => ({
          transactionId: a.transactionId,
          attemptId: a.id,
          type: 'attempt_abandoned',
          data: { number: a.number, reason: 'instance stopping' },
        })),
      );
    }
    return ids;
  });
}

/**
 * The retention steps' victims: up to `limit` transactions finished before `finishedBefore`
 * that also match `also`, locked, skipping rows another replica holds.
 */
function finishedBefore(
  tx: DbOrTx,
  input: { finishedBefore: Date; limit: number },
  also: SQL | undefined,
) {
  return tx
    .select({ id: t.id })
    .from(t)
    .where(and(isNotNull(t.finishedAt), lt(t.finishedAt, input.finishedBefore), also))
    .limit(input.limit)
    .for('update', { skipLocked: true });
}

/**
 * Retention, step 1: finished transactions older than `finishedBefore` give up their body (the
 * blob's reference count drops; the blob is collected once unreferenced). Bounded by `limit`;
 * `FOR UPDATE SKIP LOCKED` lets replicas run it concurrently without double-decrementing.
 */
export async function releaseFinishedBodies(
  db: DbOrTx,
  input: { finishedBefore: Date; limit: number },
): Promise<number> {
  return db.transaction(async (tx) => {
    const victims = finishedBefore(tx, input, or(isNotNull(t.bodyBlobId), isNotNull(t.bodySpec)));
    // `from` the old values: the UPDATE sees the body before it is nulled. A message-builder
    // body (`body_spec`) holds its parts' blobs in `blobs[].blob_id`.
    const rows = await tx.execute<{
      blob_id: string | null;
      spec: { blobs?: { blob_id?: string }[] } | null;
    }>(sql`
      update ${t} set body_blob_id = null, body_spec = null, updated_at = now()
      from (select id, body_blob_id as blob_id, body_spec as spec from ${t} where id in (${victims})) old
      where ${t.id} = old.id
      returning old.blob_id, old.spec`);
    const counts = new Map<string, number>();
    for (const r of rows.rows) {
      // Each transaction holds one reference per distinct blob (as the REST API counts them).
      const ids = new Set<string>();
      if (r.blob_id) ids.add(r.blob_id);
      for (const b of r.spec?.blobs ?? []) if (b.blob_id) ids.add(b.blob_id);
      for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    for (const [blobId, n] of counts) {
      await tx
        .update(blobs)
        .set({ refCount: sql`greatest(${blobs.refCount} - ${n}, 0)`, updatedAt: sql`now()` })
        .where(eq(blobs.id, blobId));
    }
    return rows.rows.length;
  });
}

/** Retention, step 2: finished transactions older than `finishedBefore` are deleted. */
export async function deleteFinishedTransactions(
  db: DbOrTx,
  input: { finishedBefore: Date; limit: number },
): Promise<number> {
  return db.transaction(async (tx) => {
    const victims = finishedBefore(tx, input, and(isNull(t.bodyBlobId), isNull(t.bodySpec)));
    const rows = await tx.delete(t).where(inArray(t.id, victims)).returning({ id: t.id });
    return rows.length;
  });
}

/**
 * Locks the row for the outcome write of attempt `attemptId`, only while this owner still
 * holds its lease (see `leaseHeld`); undefined when it was lost: the caller writes nothing.
 */
export async function lockLeasedTransaction(
  db: DbOrTx,
  input: { id: string; owner: string; attemptId: string },
): Promise<Transaction | undefined> {
  const [row] = await db
    .select()
    .from(t)
    .where(leaseHeld(input.id, input.owner, input.attemptId))
    .for('update');
  return row;
}

/** Re-creates this instance's row under the same id after it was pruned (e.g. a long pause). */
export async function ensureInstance(
  db: DbOrTx,
  input: { id: string; kind: string; hostname: string; pid: number; version?: string },
): Promise<void> {
  await db
    .insert(instances)
    .values({ ...input, version: input.version ?? '' })
    .onConflictDoUpdate({ target: instances.id, set: { heartbeatAt: sql`now()` } });
}

/**
 * Closes attempt `id` with its result only if it is still open. The conditional UPDATE is
 * re-checked against the latest row version, so an attempt a takeover has just marked
 * abandoned cannot be overwritten (a check in an earlier statement could see a stale snapshot).
 */
export async function finishOpenAttempt(
  db: DbOrTx,
  id: string,
  result: Pick<
    Attempt,
    'outcome' | 'upstreamHost' | 'mailResponse' | 'rcptResponse' | 'dataResponse' | 'error'
  > &
    Partial<Pick<Attempt, 'chainName' | 'chainVersion'>>,
): Promise<Attempt | undefined> {
  const [row] = await db
    .update(attempts)
    .set({ ...result, finishedAt: sql`now()` })
    .where(and(eq(attempts.id, id), isNull(attempts.finishedAt)))
    .returning();
  return row;
}
