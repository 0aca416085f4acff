import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { withDbErrors } from '../client/errors.ts';
import { executeTemplate } from '../client/prepared.ts';
import { mapRow } from '../client/rows.ts';
import { type Attempt, attempts } from '../schema/attempts/table.ts';
import { type Blob, blobChunks, blobs } from '../schema/blobs/table.ts';
import { events } from '../schema/events/table.ts';
import { type Transaction, transactions } from '../schema/transactions/table.ts';
import { BLOB_CHUNK_SIZE } from './blobs.ts';
import type { TransactionInsert } from './transactions.ts';

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
  >;
  /** The whole body, stored as a finalized blob referenced once (by this transaction). */
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
 * statement: the finalized blob, its chunk, the transaction and its first event are inserted by
 * the sub-statements of one CTE — one round trip and one commit on the API's hot path instead
 * of one per row; with `lease`, the claim and first attempt too. Larger bodies go through
 * createBlob/writeBlobStream.
 */
export async function insertTransactionWithInlineBody(
  db: DbOrTx,
  input: InlineBodyInsert,
): Promise<InlineBodyCreated> {
  if (input.body.length > BLOB_CHUNK_SIZE) {
    throw new RangeError(`an inline body of one statement is at most ${BLOB_CHUNK_SIZE} bytes`);
  }
  const lease = input.lease;
  const hasChunk = input.body.length > 0;
  const t = input.transaction;
  const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
  const rows = await withDbErrors(() =>
    executeTemplate<{
      t: Record<string, unknown>;
      b: Record<string, unknown>;
      a: Record<string, unknown> | null;
    }>(
      db,
      `create:${hasChunk}:${Boolean(lease)}`,
      () => createStatement(db, hasChunk, lease !== undefined),
      {
        blobId: randomUUID(),
        transactionId: randomUUID(),
        attemptId: randomUUID(),
        senderId: t.senderId,
        size: input.body.length,
        contentType: input.contentType,
        data: input.body,
        status: lease ? 'inflight' : (t.status ?? 'queued'),
        mailFrom: json(t.mailFrom),
        rcptTo: json(t.rcptTo),
        rcptAddresses: t.rcptTo.map((r) => r.m.toLowerCase()),
        idempotencyKey: t.idempotencyKey ?? null,
        requestHash: t.requestHash ?? null,
        metadata: json(t.metadata ?? {}),
        nextAttemptAt: t.nextAttemptAt?.toISOString() ?? null,
        leaseOwner: lease?.owner ?? null,
        leaseSecs: lease ? lease.leaseMs / 1000 : null,
        eventType: input.event.type,
        eventData: json(input.event.data),
        startedData: lease ? json({ number: 1, instance_id: lease.owner }) : null,
      },
    ),
  );
  const row = rows[0]!;
  return {
    transaction: mapRow(transactions, row.t),
    blob: mapRow(blobs, row.b),
    ...(row.a && { attempt: mapRow(attempts, row.a) }),
  };
}

/** A value supplied per call (encoded by the caller: JSON text for jsonb, ISO text for times). */
const p = (name: string) => sql`${sql.placeholder(name)}`;

/** The create statement of one shape (with a chunk row or not, created claimed or not). */
function createStatement(db: DbOrTx, hasChunk: boolean, leased: boolean) {
  const blob = db
    .insert(blobs)
    .values({
      id: p('blobId'),
      senderId: p('senderId'),
      status: 'finalized',
      size: p('size'),
      contentType: p('contentType'),
      chunkCount: hasChunk ? 1 : 0,
      refCount: 1,
      finalizedAt: sql`now()`,
    })
    .returning();
  const chunk = hasChunk
    ? sql`, c as ${db.insert(blobChunks).values({ blobId: p('blobId'), seq: 0, offset: 0, data: p('data') })}`
    : sql``;
  const transaction = db
    .insert(transactions)
    .values({
      id: p('transactionId'),
      senderId: p('senderId'),
      status: p('status'),
      mailFrom: p('mailFrom'),
      rcptTo: p('rcptTo'),
      rcptAddresses: p('rcptAddresses'),
      bodyBlobId: p('blobId'),
      idempotencyKey: p('idempotencyKey'),
      requestHash: p('requestHash'),
      metadata: p('metadata'),
      nextAttemptAt: p('nextAttemptAt'),
      ...(leased && {
        leaseOwner: p('leaseOwner'),
        leaseExpiresAt: sql`now() + make_interval(secs => ${sql.placeholder('leaseSecs')}::float8)`,
      }),
    })
    .returning();
  const attempt = leased
    ? sql`, a as ${db
        .insert(attempts)
        .values({
          id: p('attemptId'),
          transactionId: p('transactionId'),
          number: 1,
          instanceId: p('leaseOwner'),
        })
        .returning()}`
    : sql``;
  const event = db.insert(events).values([
    { transactionId: p('transactionId'), type: p('eventType'), data: p('eventData') },
    ...(leased
      ? [
          {
            transactionId: p('transactionId'),
            attemptId: p('attemptId'),
            type: 'attempt_started',
            data: p('startedData'),
          },
        ]
      : []),
  ]);
  // (Embedded in `sql`, a query builder renders in parentheses: `b as (insert …)`.)
  return sql`
    with b as ${blob}${chunk}, t as ${transaction}${attempt}, e as ${event}
    select row_to_json(t) as t, (select row_to_json(b) from b) as b,
      ${leased ? sql`(select row_to_json(a) from a)` : sql`null`} as a
    from t`;
}
