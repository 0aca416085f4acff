import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { withDbErrors } from '../client/errors.ts';
import { executePrepared } from '../client/prepared.ts';
import { mapRow } from '../client/rows.ts';
import { type Attempt, attempts } from '../schema/attempts/table.ts';
import { type Blob, blobChunks, blobs } from '../schema/blobs/table.ts';
import { events } from '../schema/events/table.ts';
import { type Transaction, transactions } from '../schema/transactions/table.ts';
import { BLOB_CHUNK_SIZE } from './blobs.ts';
import { type TransactionInsert, transactionValues } from './transactions.ts';

export interface InlineBodyInsert {
  transaction: Omit<TransactionInsert, 'bodyBlobId' | 'bodySpec'>;
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
  const blobId = randomUUID();
  const transactionId = randomUUID();
  const size = input.body.length;
  const blob = db
    .insert(blobs)
    .values({
      id: blobId,
      senderId: input.transaction.senderId,
      status: 'finalized',
      size,
      contentType: input.contentType,
      chunkCount: size > 0 ? 1 : 0,
      refCount: 1,
      finalizedAt: sql`now()`,
    })
    .returning();
  const chunk =
    size > 0
      ? sql`, c as ${db.insert(blobChunks).values({ blobId, seq: 0, offset: 0, data: input.body })}`
      : sql``;
  const lease = input.lease;
  const transaction = db
    .insert(transactions)
    .values({
      ...transactionValues({
        ...input.transaction,
        id: transactionId,
        bodyBlobId: blobId,
        bodySpec: null,
      }),
      ...(lease && {
        status: 'inflight',
        leaseOwner: lease.owner,
        leaseExpiresAt: sql`now() + make_interval(secs => ${lease.leaseMs / 1000})`,
      }),
    })
    .returning();
  const attemptId = randomUUID();
  const attempt = lease
    ? sql`, a as ${db
        .insert(attempts)
        .values({ id: attemptId, transactionId, number: 1, instanceId: lease.owner })
        .returning()}`
    : sql``;
  const event = db.insert(events).values([
    { transactionId, ...input.event },
    ...(lease
      ? [
          {
            transactionId,
            attemptId,
            type: 'attempt_started',
            data: { number: 1, instance_id: lease.owner },
          },
        ]
      : []),
  ]);
  // (Embedded in `sql`, a query builder renders in parentheses: `b as (insert …)`.)
  const rows = await withDbErrors(() =>
    executePrepared<{
      t: Record<string, unknown>;
      b: Record<string, unknown>;
      a: Record<string, unknown> | null;
    }>(
      db,
      sql`
      with b as ${blob}${chunk}, t as ${transaction}${attempt}, e as ${event}
      select row_to_json(t) as t, (select row_to_json(b) from b) as b,
        ${lease ? sql`(select row_to_json(a) from a)` : sql`null`} as a
      from t`,
    ),
  );
  const row = rows[0]!;
  return {
    transaction: mapRow(transactions, row.t),
    blob: mapRow(blobs, row.b),
    ...(row.a && { attempt: mapRow(attempts, row.a) }),
  };
}
