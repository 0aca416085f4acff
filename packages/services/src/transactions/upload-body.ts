import {
  BLOB_CHUNK_SIZE,
  type DbOrTx,
  readBlobStream,
  type schema,
  storeSmallBody,
} from '@koukan/db';
import { headerSectionLimit, MAX_HEADER_BYTES } from '@koukan/protocol/schemas';
import type { Principal } from '../auth/authenticate.ts';
import { storedSpecOf } from '../blobs/body-spec.ts';
import type { UploadRange } from '../blobs/content-range.ts';
import { uploadToBlob } from '../blobs/upload.ts';
import type { ServiceCall, ServiceContext } from '../context.ts';
import { AppError } from '../errors.ts';
import { loadOwned } from './access.ts';
import { afterUpload, type UploadResult } from './after-upload.ts';
import { DEFAULT_MAX_BODY_BYTES } from './create.ts';
import { bodyHeaderFields, checkHeaderSection } from './header-fields.ts';
import { toView } from './view.ts';

export interface UploadInput {
  principal: Principal;
  id: string;
  range: UploadRange | undefined;
  contentLength: number | undefined;
  source: AsyncIterable<Buffer | Uint8Array | string>;
  maxBytes?: number | undefined;
  /**
   * Cut-through: asked, with the transaction's sender, just before a whole small body is
   * stored; a lease when a delivery engine of this process has a free slot for it, and the
   * statement that stores the body then claims the transaction too (`UploadResult.claimed`).
   */
  reserveLease?: ((senderId: string) => { owner: string; leaseMs: number } | undefined) | undefined;
}

export function assertUploadable(transaction: schema.Transaction): void {
  if (transaction.status !== 'queued' && transaction.status !== 'held') {
    throw new AppError('conflict', `the transaction is ${transaction.status}; uploads are closed`, {
      details: [{ field: 'status', message: transaction.status }],
    });
  }
}

/** `PUT /v1/transactions/{id}/body`: raw RFC 822, streamed, resumable with Content-Range. */
export async function uploadBody({ ctx, input }: ServiceCall<UploadInput>): Promise<UploadResult> {
  const start = input.range?.kind === 'bytes' ? input.range.start : 0;
  if (start === 0) input = { ...input, source: withHeaderLimit(input.source) };
  const whole = !input.range && input.contentLength !== 0;
  // A key of one enabled sender (the SMTP gateway's): a whole small body is stored in one
  // statement that checks the ownership itself; anything else reads the transaction first.
  const only = input.principal.anySender ? undefined : input.principal.senders;
  const sole = only?.length === 1 && only[0]!.enabled ? only[0]! : undefined;
  let head: Head | undefined;
  if (sole && whole) {
    head = await readUpTo(input.source);
    const stored = await storeWhole(ctx, input, head, sole, undefined);
    if (stored) return stored;
  }
  const { transaction, sender } = await loadOwned(ctx, input.principal, input.id);
  if (storedSpecOf(transaction.bodySpec) || !transaction.bodyBlobId) {
    throw new AppError(
      'conflict',
      'this transaction has a message_builder body: upload its parts to /blob/{create_id}',
      { details: [{ field: 'body', message: 'not an rfc822 body' }] },
    );
  }
  assertUploadable(transaction);
  const blobId = transaction.bodyBlobId;
  // A whole body that fits in one chunk (the usual SMTP message) is stored in one statement.
  if (!head && whole) {
    head = await readUpTo(input.source);
    const stored = await storeWhole(ctx, input, head, sender, blobId);
    if (stored) return stored;
  }
  let source = head ? head.replay : input.source;
  if (start > 0 && start < MAX_HEADER_BYTES) {
    source = withHeaderLimit(source, { db: ctx.db, blobId, bytes: start });
  }
  return upload(ctx, { ...input, source }, transaction.id, sender.name, blobId, 'body');
}

/**
 * The body's bytes, refused (413 naming `body`) as soon as its header section passes
 * MAX_HEADER_BYTES, as the gateway refuses such mail at SMTP: a million header lines cost the
 * reading of 256 KiB. `stored`: a resumed upload's bytes before these, read first.
 */
async function* withHeaderLimit(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  stored?: { db: DbOrTx; blobId: string; bytes: number },
): AsyncIterable<Buffer | Uint8Array | string> {
  const within = headerSectionLimit();
  const check = (piece: Uint8Array) => checkHeaderSection(within(piece), 'body');
  let left = stored?.bytes ?? 0;
  for await (const chunk of stored ? readBlobStream(stored.db, stored.blobId, 1) : []) {
    check((chunk as Buffer).subarray(0, left));
    left -= (chunk as Buffer).length;
    if (left <= 0) break;
  }
  for await (const piece of source) {
    check(typeof piece === 'string' ? Buffer.from(piece) : piece);
    yield piece;
  }
}

type Head = Awaited<ReturnType<typeof readUpTo>>;

/** A whole small body stored (and claimed, cut-through) in one statement; undefined when not. */
async function storeWhole(
  ctx: ServiceContext,
  input: UploadInput,
  head: Head,
  sender: schema.Sender,
  blobId: string | undefined,
): Promise<UploadResult | undefined> {
  const maxBytes = input.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!head.whole || head.bytes.length === 0 || head.bytes.length > maxBytes) return undefined;
  const declared = input.contentLength;
  if (declared !== undefined && declared !== head.bytes.length) return undefined;
  // the statement claims only a queued transaction: a slot asked for a held one is given back
  const stored = await storeSmallBody(ctx.db, {
    transactionId: input.id,
    blobId,
    senderId: sender.id,
    data: head.bytes,
    ...bodyHeaderFields(head.bytes),
    lease: input.reserveLease?.(sender.id),
  });
  if (!stored) return undefined;
  ctx.logger.info(
    { transactionId: stored.transaction.id, what: 'body', size: stored.blob.size, finalized: true },
    'upload',
  );
  const blobs = new Map([[stored.blob.id, stored.blob]]);
  return {
    transaction: toView(stored.transaction, sender.name, blobs),
    size: stored.blob.size,
    expectedSize: stored.blob.expectedSize,
    finalized: true,
    bodyComplete: true,
    interrupted: null,
    ...(stored.attempt && {
      claimed: { transaction: stored.transaction, attempt: stored.attempt, body: head.bytes },
    }),
  };
}

/**
 * Reads `source` up to BLOB_CHUNK_SIZE (a body up to that size is buffered and stored in one
 * statement): `whole` when it ended within them. `replay` yields
 * everything as the original would (what was read, then the rest, then its error if any), for
 * the general path.
 */
async function readUpTo(source: AsyncIterable<Buffer | Uint8Array | string>) {
  const pieces: Buffer[] = [];
  let size = 0;
  const it = source[Symbol.asyncIterator]();
  let failure: { err: unknown } | undefined;
  let whole = false;
  try {
    for (;;) {
      const next = await it.next();
      if (next.done) {
        whole = true;
        break;
      }
      const buf =
        typeof next.value === 'string' ? Buffer.from(next.value) : Buffer.from(next.value);
      pieces.push(buf);
      size += buf.length;
      if (size > BLOB_CHUNK_SIZE) break;
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    failure = { err };
  }
  async function* replay() {
    yield* pieces;
    if (failure) throw failure.err;
    if (whole) return;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { whole: whole && !failure, bytes: Buffer.concat(pieces, size), replay: replay() };
}

export async function upload(
  ctx: ServiceContext,
  input: UploadInput,
  transactionId: string,
  senderName: string,
  blobId: string,
  what: string,
): Promise<UploadResult> {
  const result = await uploadToBlob(ctx, {
    blobId,
    range: input.range,
    contentLength: input.contentLength,
    source: input.source,
    maxBytes: input.maxBytes ?? DEFAULT_MAX_BODY_BYTES,
    what,
  });
  const out = await afterUpload(ctx, transactionId, senderName, result, what);
  ctx.logger.info(
    { transactionId, what, size: out.size, finalized: out.finalized, interrupted: out.interrupted },
    'upload',
  );
  return out;
}
