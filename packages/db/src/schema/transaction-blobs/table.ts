import { type AnyPgColumn, index, pgTable, primaryKey, uuid } from 'drizzle-orm/pg-core';
import { blobs } from '../blobs/table.ts';
import { transactions } from '../transactions/table.ts';

/**
 * The blobs a transaction holds (migration 0018): its rfc822 body, the parts of its
 * message-builder body, or the body it shares with its exploder downstream. Deleting the
 * transaction deletes its rows; a blob stays while any row (here or in `sandbox_messages`) names
 * it, and is garbage once none does. `blobs.ref_count` is derived from these rows by triggers.
 */
export const transactionBlobs = pgTable(
  'transaction_blobs',
  {
    transactionId: uuid('transaction_id')
      .notNull()
      .references((): AnyPgColumn => transactions.id, { onDelete: 'cascade' }),
    blobId: uuid('blob_id')
      .notNull()
      .references(() => blobs.id),
  },
  (t) => [
    primaryKey({ name: 'transaction_blobs_pkey', columns: [t.transactionId, t.blobId] }),
    index('transaction_blobs_blob_idx').on(t.blobId),
  ],
);
