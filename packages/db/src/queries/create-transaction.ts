import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { withDbErrors } from '../client/errors.ts';
import { executeTemplate } from '../client/prepared.ts';
import { mapRow } from '../client/rows.ts';
import { statementBatcher } from '../client/tick-batch.ts';
import { type Attempt, attempts } from '../schema/attempts/table.ts';
import { type Blob, blobChunks, blobs } from '../schema/blobs/table.ts';
import { events } from '../schema/events/table.ts';
import { transactionBlobs } from '../schema/transaction-blobs/table.ts';
import { type Transaction, transactions } from '../schema/transactions/table.ts';
import { BLOB_CHUNK_SIZE } from './blobs.ts';
import { envelopeColumns, type TransactionInsert } from './transactions.ts';

export interface InlineBodyInsert {
  /** The columns this statement sets; the others take their defaults. */
  transaction: Pick<
    TransactionInsert,
    | 'senderId'
    | 'status'
    | 'mailFrom'
    | 'rcptTo'
    | 'idempotencyKey'
    | 'requestHash'
    | 'metadata'
    | 'nextAttemptAt'
    | 'messageId'
    | 'subject'
  >;
  /** The whole body, stored as a finalized blob held by this transaction. */
  body: Buffer;
  contentType: string;
  /** The `created` timeline event. */
  event: { type: string; data: Record<string, unknown> };
  /**
   * Cut-through: create it already claimed — in flight under this owner's lease, with its
   * first attempt open (and its `attempt_started` event), as `claimTransactions` would leave it.
   */
  lease?: { owner: string; leaseMs: number };
}

export interface InlineBodyCreated {
  transaction: Transaction;
  blob: Blob;
  /** The open first attempt, when created with a lease. */
  attempt?: Attempt;
}

/**
 * Creates a transaction with a body given whole (at most one chunk, BLOB_CHUNK_SIZE) in one
 * statement: the finalized blob, its chunk, the transaction, its reference to the blob and its
 * first event are inserted by
 * the sub-statements of one CTE — one round trip and one commit on the API's hot path instead
 * of one per row; with `lease`, the claim and first attempt too. Larger bodies go through
 * createBlob/writeBlobStream.
 *
 * Creates of the same tick share the statement (and its commit). If it fails — one of them
 * breaks a constraint, e.g. a concurrent duplicate Idempotency-Key — each is run again alone,
 * so only that one gets the error.
 */
export function insertTransactionWithInlineBody(
  db: DbOrTx,
  input: InlineBodyInsert,
): Promise<InlineBodyCreated> {
  if (input.body.length > BLOB_CHUNK_SIZE) {
    const max = `an inline body of one statement is at most ${BLOB_CHUNK_SIZE} bytes`;
    return Promise.reject(new RangeError(max));
  }
  return insertBatched(db, input);
}

const insertBatched = statementBatcher<InlineBodyInsert, InlineBodyCreated>(async (db, inputs) => {
  const rows = inputs.map((input) => {
    const t = input.transaction;
    const lease = input.lease;
    return {
      transaction_id: randomUUID(),
      blob_id: randomUUID(),
      attempt_id: randomUUID(),
      sender_id: t.senderId,
      size: input.body.length,
      content_type: input.contentType,
      data: input.body.toString('base64'),
      status: lease ? 'inflight' : (t.status ?? 'queued'),
      ...envelopeColumns(t),
      next_attempt_at: t.nextAttemptAt?.toISOString() ?? null,
      message_id: t.messageId ?? null,
      subject: t.subject ?? null,
      lease_owner: lease?.owner ?? null,
      lease_secs: lease ? lease.leaseMs / 1000 : null,
      event_type: input.event.type,
      event_data: input.event.data,
      started_data: lease ? { number: 1, instance_id: lease.owner } : null,
    };
  });
  const result = await withDbErrors(() =>
    executeTemplate<{
      t: Record<string, unknown>;
      b: Record<string, unknown>;
      a: Record<string, unknown> | null;
    }>(db, 'create', createStatement, { rows: JSON.stringify(rows) }),
  );
  const byId = new Map(result.map((r) => [r.t.id as string, r]));
  return rows.map((r) => {
    const row = byId.get(r.transaction_id);
    if (!row) throw new Error('the create statement returned no row');
    return {
      transaction: mapRow(transactions, row.t),
      blob: mapRow(blobs, row.b),
      ...(row.a && { attempt: mapRow(attempts, row.a) }),
    };
  });
});

/** The create statement for any number of rows, each a JSON object of `insertBatch`. */
function createStatement() {
  return sql`
    with i as (
      select x.* from koukan_batch_rows(${sql.placeholder('rows')}::jsonb) as batch_row(v), jsonb_to_record(batch_row.v) as x(
        transaction_id uuid, blob_id uuid, attempt_id uuid, sender_id uuid, size bigint,
        content_type text, data text, status text, mail_from jsonb, rcpt_to jsonb,
        rcpt_addresses text[], idempotency_key text, request_hash text, metadata jsonb,
        next_attempt_at timestamptz, message_id text, subject text, lease_owner uuid, lease_secs float8, event_type text,
        event_data jsonb, started_data jsonb)
    ), b as (
      insert into ${blobs} (id, sender_id, status, size, content_type, chunk_count, finalized_at)
      select blob_id, sender_id, 'finalized', size, content_type,
        case when size > 0 then 1 else 0 end, now()
      from i
      returning *
    ), c as (
      insert into ${blobChunks} (blob_id, seq, "offset", data)
      select blob_id, 0, 0, decode(data, 'base64') from i where size > 0
    ), t as (
      insert into ${transactions} (id, sender_id, status, mail_from, rcpt_to, rcpt_addresses,
        body_blob_id, idempotency_key, request_hash, metadata, next_attempt_at, message_id,
        subject, lease_owner, lease_expires_at)
      select transaction_id, sender_id, status, mail_from, rcpt_to, rcpt_addresses, blob_id,
        idempotency_key, request_hash, metadata, next_attempt_at, message_id, subject, lease_owner,
        case when lease_owner is not null then now() + make_interval(secs => lease_secs) end
      from i
      returning *
    ), r as (
      insert into ${transactionBlobs} (transaction_id, blob_id) select transaction_id, blob_id from i
    ), a as (
      insert into ${attempts} (id, transaction_id, number, instance_id)
      select attempt_id, transaction_id, 1, lease_owner from i where lease_owner is not null
      returning *
    ), e as (
      insert into ${events} (transaction_id, attempt_id, type, data)
      select transaction_id, null, event_type, event_data from i
      union all
      select transaction_id, attempt_id, 'attempt_started', started_data
      from i where lease_owner is not null
    )
    -- The blob as the statement leaves it: held once (the trigger counts r after the statement).
    select row_to_json(t) as t, jsonb_set(to_jsonb(b), '{ref_count}', '1') as b, row_to_json(a) as a
    from t join b on b.id = t.body_blob_id left join a on a.transaction_id = t.id`;
}
