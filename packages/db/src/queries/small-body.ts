import { sql } from 'drizzle-orm';
import { announceChanges, notifyMode } from '../client/change-hints.ts';
import type { DbOrTx } from '../client/create-db.ts';
import { executeTemplate, p } from '../client/prepared.ts';
import { mapRow } from '../client/rows.ts';
import { statementBatcher } from '../client/tick-batch.ts';
import { type Attempt, attempts } from '../schema/attempts/table.ts';
import { type Blob, blobs } from '../schema/blobs/table.ts';
import { type Transaction, transactions } from '../schema/transactions/table.ts';

export interface SmallBodyInput {
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
}

export type SmallBodyStored =
  | { transaction: Transaction; blob: Blob; attempt?: Attempt }
  | undefined;

type Row = {
  t: Record<string, unknown>;
  b: Record<string, unknown>;
  a: Record<string, unknown> | null;
};

const stored = (row: Row | undefined): SmallBodyStored =>
  row && {
    transaction: mapRow(transactions, row.t),
    blob: mapRow(blobs, row.b),
    ...(row.a && { attempt: mapRow(attempts, row.a) }),
  };

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
 *
 * Bodies that concurrent uploads store in the same tick share the statement and its commit.
 */
export const storeSmallBody: (db: DbOrTx, input: SmallBodyInput) => Promise<SmallBodyStored> =
  statementBatcher(
    async (db, inputs: SmallBodyInput[]) => {
      const rows = inputs.map((input) => ({
        tx: input.transactionId,
        blob: input.blobId ?? null,
        sender: input.senderId ?? null,
        data: input.data.toString('base64'),
        size: input.data.length,
        message_id: input.messageId,
        subject: input.subject,
        owner: input.lease?.owner ?? null,
        lease_secs: input.lease ? input.lease.leaseMs / 1000 : null,
      }));
      const notify = notifyMode(db);
      const result = await executeTemplate<Row>(db, 'small-bodies', smallBodiesStatement, {
        rows: JSON.stringify(rows),
        notify: notify.mode,
      });
      announceChanges(notify.pool, result.map(changeOf));
      const byId = new Map(result.map((r) => [r.t.id as string, r]));
      return inputs.map((input) => stored(byId.get(input.transactionId)));
    },
    (input) => input.transactionId,
  );

const changeOf = (r: Row) => ({ id: r.t.id as string, version: r.t.version as number });

/** The statement for any number of bodies, each a JSON object of `storeSmallBody`. */
function smallBodiesStatement() {
  return sql`
    with i as (
      select x.*, set_config('koukan.notify', ${p('notify')}, true) as notify
      from koukan_batch_rows(${p('rows')}::jsonb) as batch_row(v), jsonb_to_record(batch_row.v) as x(tx uuid, blob uuid,
        sender uuid, data text, size bigint, message_id text, subject text, owner uuid,
        lease_secs float8)
    ), target as (
      select t.id, t.body_blob_id, t.status = 'queued' and i.owner is not null as claim,
        i.data, i.size, i.message_id, i.subject, i.owner, i.lease_secs
      from i cross join lateral (
        -- one lookup by key per batch row, however small the table was when the plan was made
        -- (a join lets a generic plan made on a young table read all of it every time)
        select t.id, t.body_blob_id, t.status from transactions t
        where t.id = i.tx and t.body_spec is null and t.status in ('queued', 'held')
          and t.body_blob_id = coalesce(i.blob, t.body_blob_id)
          and t.sender_id = coalesce(i.sender, t.sender_id)
        offset 0
        for update
      ) t
    ), b as (
      update blobs set size = target.size, chunk_count = 1, status = 'finalized',
        expected_size = target.size, finalized_at = now(), updated_at = now()
      from target
      where blobs.id = any(array(select body_blob_id from target)) -- by key, as above
        and blobs.id = target.body_blob_id and blobs.status = 'uploading' and blobs.size = 0
      returning blobs.*
    ), chunk as (
      insert into blob_chunks (blob_id, seq, "offset", data)
      select b.id, 0, 0, decode(target.data, 'base64') from b join target on target.body_blob_id = b.id
    ), t as (
      update transactions set
        next_attempt_at = case when status = 'queued' and next_attempt_at is null
          then now() else next_attempt_at end,
        status = case when target.claim then 'inflight' else status end,
        lease_owner = case when target.claim then target.owner else lease_owner end,
        lease_expires_at = case when target.claim
          then now() + make_interval(secs => target.lease_secs)
          else lease_expires_at end,
        version = version + 1,
        message_id = target.message_id,
        subject = target.subject,
        updated_at = now()
      from target
      where transactions.id = target.id and target.body_blob_id in (select id from b)
      returning transactions.*, target.claim
    ), a as (
      insert into attempts (transaction_id, number, instance_id)
      select id, attempt_count + 1, lease_owner from t where t.claim
      returning *
    ), exploded as (
      -- the exploder's per-recipient transactions share the body: its fields too
      update transactions u set message_id = target.message_id, subject = target.subject
      from target
      where u.parent_id = target.id and u.message_id is null
        and u.metadata ? 'exploded_from' and target.body_blob_id in (select id from b)
    ), timeline as (
      insert into events (transaction_id, attempt_id, type, data)
      select t.id, null::uuid, 'blob_finalized', jsonb_build_object(
        'what', 'body', 'size', target.size, 'body_complete', true)
      from t join target on target.id = t.id
      union all
      select transaction_id, id, 'attempt_started', jsonb_build_object(
        'number', number, 'instance_id', instance_id::text)
      from a
    )
    select row_to_json(t) as t, row_to_json(b) as b, row_to_json(a) as a
    from t join b on b.id = t.body_blob_id left join a on a.transaction_id = t.id`;
}
