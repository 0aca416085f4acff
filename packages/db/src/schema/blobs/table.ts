import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  customType,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from '../columns.ts';
import { senders } from '../senders/table.ts';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

export const blobStatuses = ['uploading', 'finalized'] as const;
export type BlobStatus = (typeof blobStatuses)[number];

/**
 * A message body or attachment. The bytes live in blob_chunks, one row per chunk, so a 50 MB
 * body is written and read a chunk at a time and never concatenated in SQL. A blob is referenced
 * by rows of `transaction_blobs` and `sandbox_messages` (foreign keys: a referenced blob cannot
 * be deleted); `ref_count` is their number, derived by triggers (migration 0018) and never
 * written by the code, for the collector's index of unreferenced blobs.
 */
export const blobs = pgTable(
  'blobs',
  {
    id: id(),
    senderId: uuid('sender_id').references(() => senders.id, { onDelete: 'cascade' }),
    status: text('status').$type<BlobStatus>().notNull().default('uploading'),
    /** Bytes written so far; the offset the next chunk must start at. */
    size: bigint('size', { mode: 'number' }).notNull().default(0),
    /** Total length announced by the uploader (Content-Range `/total`), when known. */
    expectedSize: bigint('expected_size', { mode: 'number' }),
    contentType: text('content_type'),
    /** Number of chunk rows; the next chunk's seq. */
    chunkCount: integer('chunk_count').notNull().default(0),
    refCount: integer('ref_count').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    finalizedAt: timestamp('finalized_at', { withTimezone: true }),
  },
  (t) => [
    index('blobs_unreferenced_idx').on(t.updatedAt).where(sql`${t.refCount} = 0`),
    check('blobs_status_check', sql`${t.status} in ('uploading', 'finalized')`),
    check('blobs_ref_count_check', sql`${t.refCount} >= 0`),
  ],
);

export const blobChunks = pgTable(
  'blob_chunks',
  {
    blobId: uuid('blob_id')
      .notNull()
      .references(() => blobs.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    offset: bigint('offset', { mode: 'number' }).notNull(),
    data: bytea('data').notNull(),
  },
  (t) => [primaryKey({ name: 'blob_chunks_pkey', columns: [t.blobId, t.seq] })],
);

export type Blob = typeof blobs.$inferSelect;
