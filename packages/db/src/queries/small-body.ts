import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { executeTemplate, p } from '../client/prepared.ts';
import { mapRow } from '../client/rows.ts';
import { type Attempt, attempts } from '../schema/attempts/table.ts';
import { type Blob, blobs } from '../schema/blobs/table.ts';
import { type Transaction, transactions } from '../schema/transactions/table.ts';

/**
 * A whole RFC 822 body that fits in one chunk, stored in one statement (the SMTP gateway's
 * upload of a typical message): the empty uploading blob gets its one chunk and is finalized,
 * the transaction's version is bumped and, queued and not yet due, it becomes due now; a
 * `blob_finalized` event is written. Undefined when the blob is not empty and uploading or is
 * not this transaction's body, or the transaction is not queued or held or not the given
 * sender's (the caller then takes the general path, which says why).
 *
 * With `lease` (cut-through: a delivery engine of this process has a free slot), a queued
 * transaction is claimed in the same statement — in flight under that lease, with its first
 * attempt open and its `attempt_started` event, as `claimTransactions` would leave it — so
 * the engine runs it at once without a claim of its own and the transaction's version moves
 * once, not twice.
 */
export async function storeSmallBody(
  db: DbOrTx,
  input: {
    transactionId: string;
    /** The transaction's body blob; without it, the one the row names. */
    blobId?: string | undefined;
    /** When given, only a transaction of this sender is stored (the caller's ownership check). */
    senderId?: string | undefined;
    data: Buffer;
    /** The body's Message-ID and Subject (for search), stored with it. */
    messageId: string | null;
    subject: string | null;
    lease?: { owner: string; leaseMs: number } | undefined;
  },
): Promise<{ transaction: Transaction; blob: Blob; attempt?: Attempt } | undefined> {
  const [row] = await executeTemplate<{
    t: Record<string, unknown>;
    b: Record<string, unknown>;
    a: Record<string, unknown> | null;
  }>(db, 'small-body', smallBodyStatement, {
    tx: input.transactionId,
    blob: input.blobId ?? null,
    sender: input.senderId ?? null,
    data: input.data,
    size: input.data.length,
    messageId: input.messageId,
    subject: input.subject,
    owner: input.lease?.owner ?? null,
    leaseSecs: input.lease ? input.lease.leaseMs / 1000 : null,
  });
  return (
    row && {
      transaction: mapRow(transactions, row.t),
      blob: mapRow(blobs, row.b),
      ...(row.a && { attempt: mapRow(attempts, row.a) }),
    }
  );
}

function smallBodyStatement() {
  return sql`
    with target as (
      select id, body_blob_id, status = 'queued' and ${p('owner')}::uuid is not null as claim
      from transactions
      where id = ${p('tx')}::uuid and body_spec is null and status in ('queued', 'held')
        and body_blob_id = coalesce(${p('blob')}::uuid, body_blob_id)
        and sender_id = coalesce(${p('sender')}::uuid, sender_id)
      for update
    ), b as (
      update blobs set size = ${p('size')}::bigint, chunk_count = 1, status = 'finalized',
        expected_size = ${p('size')}::bigint, finalized_at = now(), updated_at = now()
      where id = (select body_blob_id from target) and status = 'uploading' and size = 0
      returning *
    ), chunk as (
      insert into blob_chunks (blob_id, seq, "offset", data)
      select id, 0, 0, ${p('data')}::bytea from b
    ), t as (
      update transactions set
        next_attempt_at = case when status = 'queued' and next_attempt_at is null
          then now() else next_attempt_at end,
        status = case when target.claim then 'inflight' else status end,
        lease_owner = case when target.claim then ${p('owner')}::uuid else lease_owner end,
        lease_expires_at = case when target.claim
          then now() + make_interval(secs => ${p('leaseSecs')}::float8)
          else lease_expires_at end,
        version = version + 1,
        message_id = ${p('messageId')}::text,
        subject = ${p('subject')}::text,
        updated_at = now()
      from target
      where transactions.id = target.id and exists (select 1 from b)
      returning transactions.*, target.claim
    ), a as (
      insert into attempts (transaction_id, number, instance_id)
      select id, attempt_count + 1, ${p('owner')}::uuid from t where t.claim
      returning *
    ), exploded as (
      -- the exploder's per-recipient transactions share the body: its fields too
      update transactions set message_id = ${p('messageId')}::text, subject = ${p('subject')}::text
      where parent_id = (select id from target) and message_id is null
        and metadata ? 'exploded_from' and exists (select 1 from b)
    ), timeline as (
      insert into events (transaction_id, attempt_id, type, data)
      select id, null::uuid, 'blob_finalized', jsonb_build_object(
        'what', 'body', 'size', ${p('size')}::bigint, 'body_complete', true)
      from t
      union all
      select transaction_id, id, 'attempt_started', jsonb_build_object(
        'number', number, 'instance_id', ${p('owner')}::text)
      from a
    )
    select row_to_json(t) as t, row_to_json(b) as b, row_to_json(a) as a
    from t cross join b left join a on a.transaction_id = t.id`;
}
