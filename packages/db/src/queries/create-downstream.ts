import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { withDbErrors } from '../client/errors.ts';
import { executeTemplate, p } from '../client/prepared.ts';
import { mapRow } from '../client/rows.ts';
import { statementBatcher } from '../client/tick-batch.ts';
import { type Blob, blobs } from '../schema/blobs/table.ts';
import { events } from '../schema/events/table.ts';
import { transactionBlobs } from '../schema/transaction-blobs/table.ts';
import { type Transaction, transactions } from '../schema/transactions/table.ts';
import { envelopeColumns, type TransactionInsert } from './transactions.ts';

/** The columns of a transaction created awaiting its body (and of each upstream). */
export type AwaitingBodyRow = Pick<
  TransactionInsert,
  | 'senderId'
  | 'mailFrom'
  | 'rcptTo'
  | 'idempotencyKey'
  | 'requestHash'
  | 'metadata'
  | 'retry'
  | 'notification'
  | 'rcptResponse'
>;

export interface AwaitingBodyInsert {
  /** Queued, not due: the body upload (PUT) makes it due. */
  transaction: AwaitingBodyRow;
  contentType: string;
  /** The `created` timeline event. */
  event: { type: string; data: Record<string, unknown> };
  /**
   * The exploder's per-recipient transactions, created with it: queued, no body yet (the
   * exploder shares the downstream's), not due; `parent_id` is the new transaction, and
   * `metadata.exploded_from` its id (filled in here).
   */
  upstreams: Omit<AwaitingBodyRow, 'idempotencyKey' | 'requestHash' | 'rcptResponse'>[];
}

type Created = { transaction: Transaction; blob: Blob; upstreamIds: string[] };
type Row = { t: Record<string, unknown>; b: Record<string, unknown> };

/**
 * Creates a transaction whose RFC 822 body is uploaded later (the SMTP gateway's at RCPT) in
 * one statement: its empty uploading blob, the transaction and its reference to the blob, the
 * exploder's upstream transactions and the `created` event — one round trip and one commit
 * instead of a database transaction of seven statements. Returns the transaction, its blob and the upstreams'
 * ids (in the order given).
 *
 * The creates of concurrent SMTP sessions in the same tick share the statement and its commit.
 */
export const insertTransactionAwaitingBody: (
  db: DbOrTx,
  input: AwaitingBodyInsert,
) => Promise<Created> = statementBatcher(async (db, inputs: AwaitingBodyInsert[]) => {
  const rows = inputs.map((input) => ({ ...awaitingBodyRow(input), id: randomUUID() }));
  const upstreams = rows.map((r, n) => upstreamRows(r.id, inputs[n]!));
  const result = await withDbErrors(() =>
    executeTemplate<Row>(db, 'create-awaiting-bodies', awaitingBodiesStatement, {
      rows: JSON.stringify(rows),
      upstreams: JSON.stringify(upstreams.flat()),
    }),
  );
  const byId = new Map(result.map((r) => [r.t.id as string, r]));
  return rows.map((r, n) => {
    const row = byId.get(r.id);
    if (!row) throw new Error('the create statement returned no row');
    return {
      transaction: mapRow(transactions, row.t),
      blob: mapRow(blobs, row.b),
      upstreamIds: upstreams[n]!.map((u) => u.id),
    };
  });
});

/** The columns of one create, as the statement's JSON rows name them. */
function awaitingBodyRow(input: AwaitingBodyInsert) {
  const t = input.transaction;
  return {
    blob: randomUUID(),
    sender: t.senderId,
    content_type: input.contentType,
    ...envelopeColumns(t),
    retry: t.retry ?? null,
    notification: t.notification ?? null,
    rcpt_response: t.rcptResponse ?? null,
    event_type: input.event.type,
    event_data: input.event.data,
  };
}

function upstreamRows(parentId: string, input: AwaitingBodyInsert) {
  return input.upstreams.map((u) => ({
    id: randomUUID(),
    parent_id: parentId,
    sender_id: u.senderId,
    mail_from: u.mailFrom,
    rcpt_to: u.rcptTo,
    rcpt_addresses: u.rcptTo.map((r) => r.m.toLowerCase()),
    retry: u.retry ?? null,
    notification: u.notification ?? null,
    metadata: { ...(u.metadata ?? {}), exploded_from: parentId },
  }));
}

/** The create statement for any number of creates, each a JSON object of `awaitingBodyRow`. */
function awaitingBodiesStatement() {
  return sql`
    with i as (
      select x.* from koukan_batch_rows(${p('rows')}::jsonb) as batch_row(v), jsonb_to_record(batch_row.v) as x(id uuid, blob uuid,
        sender uuid, content_type text, mail_from jsonb, rcpt_to jsonb, rcpt_addresses text[],
        idempotency_key text, request_hash text, metadata jsonb, retry jsonb,
        notification jsonb, rcpt_response jsonb, event_type text, event_data jsonb)
    ), b as (
      insert into ${blobs} (id, sender_id, content_type)
      select blob, sender, content_type from i
      returning *
    ), t as (
      insert into ${transactions} (id, sender_id, status, mail_from, rcpt_to, rcpt_addresses,
        body_blob_id, idempotency_key, request_hash, metadata, retry, notification,
        rcpt_response, next_attempt_at)
      select id, sender, 'queued', mail_from, rcpt_to, rcpt_addresses, blob, idempotency_key,
        request_hash, metadata, retry, notification, rcpt_response, null
      from i
      returning *
    ), r as (
      insert into ${transactionBlobs} (transaction_id, blob_id) select id, blob from i
    ), u as (
      insert into ${transactions} (id, sender_id, status, mail_from, rcpt_to, rcpt_addresses,
        body_blob_id, next_attempt_at, parent_id, retry, notification, metadata)
      select x.id, x.sender_id, 'queued', x.mail_from, x.rcpt_to, x.rcpt_addresses, null, null,
        x.parent_id, x.retry, x.notification, x.metadata
      from koukan_batch_rows(${p('upstreams')}::jsonb) as batch_row(v), jsonb_to_record(batch_row.v) as x(id uuid, parent_id uuid,
        sender_id uuid, mail_from jsonb, rcpt_to jsonb, rcpt_addresses text[], retry jsonb,
        notification jsonb, metadata jsonb)
    ), e as (
      insert into ${events} (transaction_id, type, data)
      select id, event_type, event_data from i
    )
    -- The blobs as the statement leaves them: each held once (the trigger counts r after it).
    select row_to_json(t) as t, jsonb_set(to_jsonb(b), '{ref_count}', '1') as b
    from t join b on b.id = t.body_blob_id`;
}
