import type { schema } from '@koukan/db';
import type { Principal } from '../auth/authenticate.ts';
import { storedSpecOf } from '../blobs/body-spec.ts';
import type { UploadRange } from '../blobs/content-range.ts';
import { uploadToBlob } from '../blobs/upload.ts';
import type { ServiceCall, ServiceContext } from '../context.ts';
import { AppError } from '../errors.ts';
import { loadOwned } from './access.ts';
import { afterUpload, type UploadResult } from './after-upload.ts';
import { DEFAULT_MAX_BODY_BYTES } from './create.ts';

export interface UploadInput {
  principal: Principal;
  id: string;
  range: UploadRange | undefined;
  contentLength: number | undefined;
  source: AsyncIterable<Buffer | Uint8Array | string>;
  maxBytes?: number | undefined;
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
  const { transaction, sender } = await loadOwned(ctx, input.principal, input.id);
  if (storedSpecOf(transaction.bodySpec) || !transaction.bodyBlobId) {
    throw new AppError(
      'conflict',
      'this transaction has a message_builder body: upload its parts to /blob/{create_id}',
      { details: [{ field: 'body', message: 'not an rfc822 body' }] },
    );
  }
  assertUploadable(transaction);
  return upload(ctx, input, transaction.id, sender.name, transaction.bodyBlobId, 'body');
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
