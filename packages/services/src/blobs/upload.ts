import { getBlob, isDbError, schema, writeBlobStream } from '@koukan/db';
import { and, eq } from 'drizzle-orm';
import type { ServiceContext } from '../context.ts';
import { AppError } from '../errors.ts';
import type { UploadRange } from './content-range.ts';

type Blob = schema.Blob;

interface BlobUploadInput {
  blobId: string;
  /** The parsed Content-Range; absent means "this request carries the whole content". */
  range: UploadRange | undefined;
  /** Content-Length when the client sent one. */
  contentLength: number | undefined;
  source: AsyncIterable<Buffer | Uint8Array | string>;
  maxBytes: number;
  /** The field named in errors, e.g. `body` or `blob`. */
  what: string;
}

export interface BlobUploadResult {
  blob: Blob;
  /** This request finalized the blob. */
  finalized: boolean;
  /** Set when the client went away or stalled; the bytes received are kept for a resume. */
  interrupted: string | null;
}

function rangeError(blob: Blob, message: string): AppError {
  return new AppError('range_not_satisfiable', message, {
    details: [{ field: 'headers.content-range', message }],
    extra: { size: blob.size, expected_size: blob.expectedSize },
  });
}

function tooLarge(maxBytes: number, field: string): AppError {
  return new AppError('payload_too_large', `larger than the limit of ${maxBytes} bytes`, {
    details: [{ field, message: `at most ${maxBytes} bytes` }],
  });
}

async function resetBlob(ctx: ServiceContext, blobId: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    await tx.delete(schema.blobChunks).where(eq(schema.blobChunks.blobId, blobId));
    await tx
      .update(schema.blobs)
      .set({ size: 0, chunkCount: 0 })
      .where(and(eq(schema.blobs.id, blobId), eq(schema.blobs.status, 'uploading')));
  });
}

/** Counts and bounds the incoming bytes; turns a client abort into a clean end of input. */
async function* bounded(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  limit: { bytes: number; error: () => AppError },
  state: { received: number; interrupted: string | null },
): AsyncIterable<Buffer> {
  try {
    for await (const piece of source) {
      const buf = typeof piece === 'string' ? Buffer.from(piece) : Buffer.from(piece);
      state.received += buf.length;
      if (state.received > limit.bytes) throw limit.error();
      yield buf;
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    state.interrupted = err instanceof Error ? err.message : 'upload interrupted';
  }
}

/**
 * Streams one request's bytes into an uploading blob, a 256 KiB chunk row at a time (memory
 * stays bounded). Each chunk commits on its own, so an interrupted upload keeps what arrived and
 * resumes at the blob's size. Without Content-Range the request is the whole content (a partial
 * earlier attempt is discarded) and completes the blob; with one, `start` must equal the bytes
 * stored (else 416) and the blob completes when `total` is reached.
 */
export async function uploadToBlob(
  ctx: ServiceContext,
  input: BlobUploadInput,
): Promise<BlobUploadResult> {
  const { range, maxBytes } = input;
  let blob = await getBlob(ctx.db, input.blobId);
  if (!blob) throw new AppError('not_found', `no ${input.what} to upload to`);
  if (blob.status === 'finalized') {
    if (range?.kind === 'empty' && range.total === blob.size) {
      return { blob, finalized: false, interrupted: null };
    }
    throw new AppError('conflict', `the ${input.what} is already completely uploaded`, {
      details: [{ field: input.what, message: 'already finalized' }],
    });
  }
  const empty = () =>
    new AppError('bad_request', `the ${input.what} is empty`, {
      details: [{ field: input.what, message: 'no bytes' }],
    });
  // Nothing finalizes an empty body or blob: not a plain empty PUT, not `bytes */0`.
  if ((!range && input.contentLength === 0) || (range?.kind === 'empty' && range.total === 0)) {
    throw empty();
  }
  const total = range ? range.total : (input.contentLength ?? null);
  if (total !== null && total > maxBytes) throw tooLarge(maxBytes, 'headers.content-range');
  if (input.contentLength !== undefined && input.contentLength > maxBytes) {
    throw tooLarge(maxBytes, 'headers.content-length');
  }
  if (range && total !== null && blob.expectedSize !== null && blob.expectedSize !== total) {
    throw rangeError(blob, `the total length was announced as ${blob.expectedSize}, not ${total}`);
  }

  let offset = 0;
  let length: number | null = input.contentLength ?? null;
  if (range?.kind === 'empty') {
    if (range.total !== blob.size) {
      throw rangeError(blob, `${blob.size} bytes are stored, not ${range.total}`);
    }
    length = 0;
  } else if (range) {
    if (range.start !== blob.size) {
      throw rangeError(blob, `the next byte to send is ${blob.size}, not ${range.start}`);
    }
    offset = range.start;
    length = range.end - range.start + 1;
    if (input.contentLength !== undefined && input.contentLength !== length) {
      throw new AppError('bad_request', 'Content-Length does not match Content-Range', {
        details: [{ field: 'headers.content-length', message: `expected ${length}` }],
      });
    }
    if (range.end + 1 > maxBytes) throw tooLarge(maxBytes, 'headers.content-range');
  } else if (blob.size > 0) {
    await resetBlob(ctx, blob.id);
  }
  if (total !== null && blob.expectedSize !== total) {
    await ctx.db
      .update(schema.blobs)
      .set({ expectedSize: total })
      .where(eq(schema.blobs.id, blob.id));
  }

  const state = { received: 0, interrupted: null as string | null };
  const limit =
    length !== null
      ? {
          bytes: length,
          error: () =>
            new AppError('bad_request', `more bytes than the ${length} announced`, {
              details: [{ field: input.what, message: 'longer than announced' }],
            }),
        }
      : { bytes: maxBytes - offset, error: () => tooLarge(maxBytes, input.what) };
  try {
    await writeBlobStream(ctx.db, blob.id, bounded(input.source, limit, state), { offset });
  } catch (err) {
    if (isDbError(err, 'version_conflict')) {
      const now = (await getBlob(ctx.db, blob.id)) ?? blob;
      throw rangeError(now, `another upload moved the ${input.what} to ${now.size} bytes`);
    }
    throw err;
  }
  blob = (await getBlob(ctx.db, blob.id))!;
  const complete =
    state.interrupted === null &&
    (total !== null ? blob.size === total : !range && (length === null || blob.size === length));
  if (!complete) return { blob, finalized: false, interrupted: state.interrupted };
  // a chunked request (no Content-Length) that carried no byte
  if (blob.size === 0) throw empty();
  const [finalized] = await ctx.db
    .update(schema.blobs)
    .set({ status: 'finalized', finalizedAt: new Date(), updatedAt: new Date() })
    .where(and(eq(schema.blobs.id, blob.id), eq(schema.blobs.status, 'uploading')))
    .returning();
  return { blob: finalized ?? blob, finalized: Boolean(finalized), interrupted: null };
}
