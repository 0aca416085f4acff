import { and, eq, inArray, isNotNull, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { executeTemplate, p } from '../client/prepared.ts';
import { mapRow } from '../client/rows.ts';
import { type Attempt, attempts } from '../schema/attempts/table.ts';
import { events } from '../schema/events/table.ts';
import { instances } from '../schema/instances/table.ts';
import { sandboxMessages } from '../schema/sandbox/table.ts';
import { transactionBlobs } from '../schema/transaction-blobs/table.ts';
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
  /** Claim only these transactions (cut-through of several at once). */
  ids?: string[];
  /**
   * Transactions this instance is running: never re-claimed by it even if their lease ran out
   * (a late renewal revives it; another replica may still take them over).
   */
  exclude?: string[];
  /**
   * Per-sender fairness: the attempts each sender holds on this instance now. Due work is then
   * shared out so that the senders holding the fewest get the free slots first (max-min).
   */
  held?: { senders: string[]; counts: number[] };
  /** Senders whose work is not claimed now (they hold their share while others wait). */
  skipSenders?: string[];
}

const t = transactions;

/**
 * Claims due transactions into a lease with one conditional UPDATE whose row sources are two
 * `FOR UPDATE SKIP LOCKED` sub-selects, so concurrent replicas never claim the same row:
 *
 * - in flight under an expired lease (its owner died or lost the database; any replica may
 *   take it over), oldest expiry first, served by `transactions_lease_idx`;
 * - queued and due with a body to send, shared fairly between senders (`dueRows`), served by
 *   `transactions_sender_due_idx`.
 *
 * Separate ordered index scans, because one sub-select with an OR of both sorts the whole due
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
  const ids = input.ids ?? (input.id ? [input.id] : undefined);
  if (ids && ids.length === 0) return [];
  const some = Boolean(ids);
  const excluding = Boolean(input.exclude?.length);
  const skipping = Boolean(input.skipSenders?.length);
  const rows = await executeTemplate<{
    transaction: Record<string, unknown>;
    attempt: Record<string, unknown>;
    abandoned: Record<string, unknown> | null;
  }>(
    db,
    `claim:${some}:${excluding}:${skipping}`,
    () => claimStatement(some, excluding, skipping),
    {
      owner: input.owner,
      leaseSecs: input.leaseMs / 1000,
      limit: input.limit,
      ids: ids ?? [],
      exclude: input.exclude ?? [],
      heldSenders: input.held?.senders ?? [],
      heldCounts: input.held?.counts ?? [],
      skip: input.skipSenders ?? [],
    },
  );
  return rows.map((r) => ({
    transaction: mapRow(t, r.transaction),
    attempt: mapRow(attempts, r.attempt),
    ...(r.abandoned && { abandoned: mapRow(attempts, r.abandoned) }),
  }));
}

/**
 * The due rows to claim. For given ids: those of them that are due. Otherwise, fairly between
 * senders: each sender's earliest due rows (`transactions_sender_due_idx`, at most `limit` per
 * sender, locked), ranked by the slots the sender holds on this instance plus its rank, so free
 * slots go to the senders holding the fewest (max-min fairness); earliest first among equals.
 */
function dueRows(some: boolean, skipping: boolean) {
  const room = sql`greatest(${p('limit')}::int - (select count(*) from expired), 0)`;
  const skip = skipping ? sql`and sender_id <> all(${p('skip')}::uuid[])` : sql``;
  const ready = sql`status = 'queued' and next_attempt_at <= now()
        and (body_blob_id is not null or body_spec is not null)`;
  if (some) {
    return sql`due as (
      select id from transactions
      where id = any(${p('ids')}::uuid[]) and ${ready} ${skip}
      order by next_attempt_at
      limit ${room}
      for update skip locked
    )`;
  }
  return sql`candidates as (
      select c.id, c.sender_id, c.next_attempt_at
      from senders s cross join lateral (
        select id, sender_id, next_attempt_at from transactions
        where sender_id = s.id and ${ready}
        order by next_attempt_at
        limit ${room}
        for update skip locked
      ) c
      ${skipping ? sql`where s.id <> all(${p('skip')}::uuid[])` : sql``}
    ), due as (
      select c.id from candidates c
      left join unnest(${p('heldSenders')}::uuid[], ${p('heldCounts')}::int[]) h(sender_id, n)
        on h.sender_id = c.sender_id
      order by coalesce(h.n, 0)
          + row_number() over (partition by c.sender_id order by c.next_attempt_at),
        c.next_attempt_at
      limit ${room}
    )`;
}

/** The claim statement of one shape: for given transactions or any, excluding some or not. */
function claimStatement(some: boolean, excluding: boolean, skipping: boolean) {
  const owner = p('owner');
  const only = some ? sql`and id = any(${p('ids')}::uuid[])` : sql``;
  const notMine = excluding ? sql`and id <> all(${p('exclude')}::uuid[])` : sql``;
  const limit = sql`${p('limit')}::int`;
  return sql`
    with expired as (
      select id from transactions
      where status = 'inflight' and lease_expires_at < now() ${only} ${notMine}
      order by lease_expires_at
      limit ${limit}
      for update skip locked
    ), ${dueRows(some, skipping)}, claimed as (
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
function leaseHeld(id: string, owner: string, attemptId: string): SQL {
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
 * Retention, step 1: finished transactions older than `finishedBefore` give up their body, in
 * one statement: the body columns are cleared and their `transaction_blobs` rows deleted (a blob
 * nobody references any more is collected later). Bounded by `limit`; `FOR UPDATE SKIP LOCKED`
 * lets replicas run it concurrently, and a reference row can only be deleted once.
 */
export async function releaseFinishedBodies(
  db: DbOrTx,
  input: { finishedBefore: Date; limit: number },
): Promise<number> {
  const victims = finishedBefore(db, input, or(isNotNull(t.bodyBlobId), isNotNull(t.bodySpec)));
  const result = await db.execute<{ n: number }>(sql`
    with v as (${victims}), released as (
      update ${t} set body_blob_id = null, body_spec = null, updated_at = now()
      where id in (select id from v)
      returning id
    ), refs as (
      delete from ${transactionBlobs} where transaction_id in (select id from released)
    )
    select count(*)::int as n from released`);
  return result.rows[0]?.n ?? 0;
}

/** The timeline event of a sandboxed message (`data.sandbox_message_id`, `data.blob_id`). */
export const SANDBOX_STORED_EVENT = 'sandbox_stored';

/**
 * Retention, step 2: finished transactions older than `finishedBefore` are deleted, with their
 * attempts, events and blob references; their sandbox inbox copies go with them (an inbox row
 * holds its blob), so every stored byte goes with its owner.
 */
export async function deleteFinishedTransactions(
  db: DbOrTx,
  input: { finishedBefore: Date; limit: number },
): Promise<number> {
  return db.transaction(async (tx) => {
    const victims = await finishedBefore(tx, input, and(isNull(t.bodyBlobId), isNull(t.bodySpec)));
    if (victims.length === 0) return 0;
    const ids = victims.map((v) => v.id);
    await tx.delete(sandboxMessages).where(inArray(sandboxMessages.transactionId, ids));
    const rows = await tx.delete(t).where(inArray(t.id, ids)).returning({ id: t.id });
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
