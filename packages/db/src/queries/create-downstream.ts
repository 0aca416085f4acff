import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { withDbErrors } from '../client/errors.ts';
import { executeTemplate, p } from '../client/prepared.ts';
import { mapRow } from '../client/rows.ts';
import { type Blob, blobs } from '../schema/blobs/table.ts';
import { events } from '../schema/events/table.ts';
import { transactionBlobs } from '../schema/transaction-blobs/table.ts';
import { type Transaction, transactions } from '../schema/transactions/table.ts';
import type { TransactionInsert } from './transactions.ts';

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

/**
 * Creates a transaction whose RFC 822 body is uploaded later (the SMTP gateway's at RCPT) in
 * one statement: its empty uploading blob, the transaction and its reference to the blob, the
 * exploder's upstream transactions and the `created` event — one round trip and one commit
 * instead of a database transaction of seven statements. Returns the transaction, its blob and the upstreams'
 * ids (in the order given).
 */
export async function insertTransactionAwaitingBody(
  db: DbOrTx,
  input: AwaitingBodyInsert,
): Promise<{ transaction: Transaction; blob: Blob; upstreamIds: string[] }> {
  const id = randomUUID();
  const blobId = randomUUID();
  const t = input.transaction;
  const upstreams = input.upstreams.map((u) => ({
    id: randomUUID(),
    sender_id: u.senderId,
    mail_from: u.mailFrom,
    rcpt_to: u.rcptTo,
    rcpt_addresses: u.rcptTo.map((r) => r.m.toLowerCase()),
    retry: u.retry ?? null,
    notification: u.notification ?? null,
    metadata: { ...(u.metadata ?? {}), exploded_from: id },
  }));
  const [row] = await withDbErrors(() =>
    executeTemplate<{ t: Record<string, unknown>; b: Record<string, unknown> }>(
      db,
      'create-awaiting-body',
      awaitingBodyStatement,
      {
        id,
        blob: blobId,
        sender: t.senderId,
        contentType: input.contentType,
        mailFrom: JSON.stringify(t.mailFrom),
        rcptTo: JSON.stringify(t.rcptTo),
        rcptAddresses: t.rcptTo.map((r) => r.m.toLowerCase()),
        idempotencyKey: t.idempotencyKey ?? null,
        requestHash: t.requestHash ?? null,
        metadata: JSON.stringify(t.metadata ?? {}),
        retry: t.retry == null ? null : JSON.stringify(t.retry),
        notification: t.notification == null ? null : JSON.stringify(t.notification),
        rcptResponse: t.rcptResponse == null ? null : JSON.stringify(t.rcptResponse),
        eventType: input.event.type,
        eventData: JSON.stringify(input.event.data),
        upstreams: JSON.stringify(upstreams),
      },
    ),
  );
  if (!row) throw new Error('the create statement returned no row');
  return {
    transaction: mapRow(transactions, row.t),
    blob: mapRow(blobs, row.b),
    upstreamIds: upstreams.map((u) => u.id),
  };
}

function awaitingBodyStatement() {
  return sql`
    with b as (
      insert into ${blobs} (id, sender_id, content_type)
      values (${p('blob')}::uuid, ${p('sender')}::uuid, ${p('contentType')}::text)
      returning *
    ), t as (
      insert into ${transactions} (id, sender_id, status, mail_from, rcpt_to, rcpt_addresses,
        body_blob_id, idempotency_key, request_hash, metadata, retry, notification,
        rcpt_response, next_attempt_at)
      select ${p('id')}::uuid, ${p('sender')}::uuid, 'queued', ${p('mailFrom')}::jsonb,
        ${p('rcptTo')}::jsonb, ${p('rcptAddresses')}::text[], b.id, ${p('idempotencyKey')}::text,
        ${p('requestHash')}::text, ${p('metadata')}::jsonb, ${p('retry')}::jsonb,
        ${p('notification')}::jsonb, ${p('rcptResponse')}::jsonb, null
      from b
      returning *
    ), r as (
      insert into ${transactionBlobs} (transaction_id, blob_id) select t.id, b.id from t, b
    ), u as (
      insert into ${transactions} (id, sender_id, status, mail_from, rcpt_to, rcpt_addresses,
        body_blob_id, next_attempt_at, parent_id, retry, notification, metadata)
      select x.id, x.sender_id, 'queued', x.mail_from, x.rcpt_to, x.rcpt_addresses, null, null,
        t.id, x.retry, x.notification, x.metadata
      from t, jsonb_to_recordset(${p('upstreams')}::jsonb) as x(id uuid, sender_id uuid,
        mail_from jsonb, rcpt_to jsonb, rcpt_addresses text[], retry jsonb, notification jsonb,
        metadata jsonb)
    ), e as (
      insert into ${events} (transaction_id, type, data)
      select id, ${p('eventType')}::text, ${p('eventData')}::jsonb from t
    )
    -- The blob as the statement leaves it: held once (the trigger counts r after the statement).
    select row_to_json(t) as t, jsonb_set(to_jsonb(b), '{ref_count}', '1') as b from t, b`;
}
