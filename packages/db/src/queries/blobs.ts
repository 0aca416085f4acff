import { Readable } from 'node:stream';
import { and, eq, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { DbError, withDbErrors } from '../client/errors.ts';
import { executeTemplate } from '../client/prepared.ts';
import { type Blob, blobChunks, blobs } from '../schema/blobs/table.ts';

/** Size of one stored chunk row. Writers hold at most about this much in memory. */
export const BLOB_CHUNK_SIZE = 256 * 1024;

export async function createBlob(
  db: DbOrTx,
  input: {
    senderId?: string | null;
    contentType?: string | null;
    expectedSize?: number | null;
  } = {},
): Promise<Blob> {
  const [row] = await withDbErrors(() =>
    db
      .insert(blobs)
      .values({
        senderId: input.senderId ?? null,
        contentType: input.contentType ?? null,
        expectedSize: input.expectedSize ?? null,
      })
      .returning(),
  );
  return row!;
}

export async function getBlob(db: DbOrTx, id: string): Promise<Blob | undefined> {
  const [row] = await db.select().from(blobs).where(eq(blobs.id, id));
  return row;
}

/**
 * Appends bytes at `offset`, which must equal the bytes already stored: one conditional UPDATE
 * claims the range, so two writers cannot both append at the same offset. Throws
 * `version_conflict` (with the current size in the message) when the offset is wrong.
 */
export async function appendBlobChunk(
  db: DbOrTx,
  blobId: string,
  offset: number,
  data: Buffer,
): Promise<number> {
  if (data.length === 0) return offset;
  return db.transaction(async (tx) => {
    const [claimed] = await tx
      .update(blobs)
      .set({
        size: sql`${blobs.size} + ${data.length}`,
        chunkCount: sql`${blobs.chunkCount} + 1`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(blobs.id, blobId), eq(blobs.size, offset), eq(blobs.status, 'uploading')))
      .returning({ size: blobs.size, seq: sql<number>`${blobs.chunkCount} - 1` });
    if (!claimed) {
      const current = await getBlob(tx, blobId);
      if (!current) throw new DbError('not_found', `no blob ${blobId}`, 'blobs');
      throw new DbError(
        'version_conflict',
        current.status === 'finalized'
          ? `blob ${blobId} is finalized`
          : `blob ${blobId} has ${current.size} bytes, not ${offset}`,
        'blobs',
      );
    }
    await tx.insert(blobChunks).values({ blobId, seq: Number(claimed.seq), offset, data });
    return claimed.size;
  });
}

/**
 * Streams `source` into the blob from `offset`, in chunks of BLOB_CHUNK_SIZE. Memory stays
 * bounded by one chunk plus one incoming buffer. Bytes written before a failure stay stored, so
 * the upload can resume at the blob's size. Returns the new size.
 */
export async function writeBlobStream(
  db: DbOrTx,
  blobId: string,
  source: AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>,
  options: { offset?: number; chunkSize?: number; maxBytes?: number } = {},
): Promise<number> {
  const chunkSize = options.chunkSize ?? BLOB_CHUNK_SIZE;
  let offset = options.offset ?? (await getBlob(db, blobId))?.size ?? 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let total = 0;
  const flush = async (all: boolean) => {
    while (pendingBytes >= chunkSize || (all && pendingBytes > 0)) {
      const joined = Buffer.concat(pending, pendingBytes);
      const take = Math.min(chunkSize, joined.length);
      offset = await appendBlobChunk(db, blobId, offset, joined.subarray(0, take));
      const rest = joined.subarray(take);
      pending = rest.length ? [Buffer.from(rest)] : [];
      pendingBytes = rest.length;
    }
  };
  for await (const piece of source) {
    const buf = typeof piece === 'string' ? Buffer.from(piece) : Buffer.from(piece);
    total += buf.length;
    if (options.maxBytes !== undefined && total > options.maxBytes) {
      throw new RangeError(`more than ${options.maxBytes} bytes`);
    }
    pending.push(buf);
    pendingBytes += buf.length;
    await flush(false);
  }
  await flush(true);
  return offset;
}

/** Marks the blob complete; from then on it is immutable and may be shared. */
export async function finalizeBlob(db: DbOrTx, blobId: string): Promise<Blob> {
  const [row] = await db
    .update(blobs)
    .set({ status: 'finalized', finalizedAt: sql`now()`, updatedAt: sql`now()` })
    .where(eq(blobs.id, blobId))
    .returning();
  if (!row) throw new DbError('not_found', `no blob ${blobId}`, 'blobs');
  return row;
}

/** Reads the blob a few chunks per query, in order, as a byte stream. */
export function readBlobStream(db: DbOrTx, blobId: string, batch = 4): Readable {
  async function* chunks() {
    let after = -1;
    for (;;) {
      const rows = await executeTemplate<{ seq: number; data: Buffer }>(
        db,
        'blob-chunks',
        () => sql`select seq, data from ${blobChunks}
          where blob_id = ${sql.placeholder('blobId')} and seq > ${sql.placeholder('after')}
          order by seq limit ${sql.placeholder('batch')}`,
        { blobId, after, batch },
      );
      for (const row of rows) yield row.data;
      if (rows.length < batch) return;
      after = rows[rows.length - 1]!.seq;
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

export async function readBlob(db: DbOrTx, blobId: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of readBlobStream(db, blobId)) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/**
 * Deletes blobs nobody references that were last touched before `olderThan` (`ref_count` is
 * derived from the referencing rows; their foreign keys refuse the delete of a referenced blob).
 * A blob being referenced right now is locked by that insert and skipped.
 */
export async function collectUnreferencedBlobs(
  db: DbOrTx,
  olderThan: Date,
  limit = 500,
): Promise<number> {
  const victims = db
    .select({ id: blobs.id })
    .from(blobs)
    .where(and(eq(blobs.refCount, 0), lt(blobs.updatedAt, olderThan)))
    .limit(limit)
    .for('update', { skipLocked: true });
  const rows = await db
    .delete(blobs)
    .where(sql`${blobs.id} in (${victims})`)
    .returning({ id: blobs.id });
  return rows.length;
}
