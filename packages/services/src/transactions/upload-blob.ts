import { storedSpecOf } from '../blobs/body-spec.ts';
import type { ServiceCall } from '../context.ts';
import { AppError } from '../errors.ts';
import { loadOwned } from './access.ts';
import type { UploadResult } from './after-upload.ts';
import { assertUploadable, type UploadInput, upload } from './upload-body.ts';

/** `PUT /v1/transactions/{id}/blob/{create_id}`: one part of a message-builder body. */
export async function uploadBuilderBlob({
  ctx,
  input,
}: ServiceCall<UploadInput & { createId: string }>): Promise<UploadResult> {
  const { transaction, sender } = await loadOwned(ctx, input.principal, input.id);
  const ref = storedSpecOf(transaction.bodySpec)?.blobs.find((b) => b.create_id === input.createId);
  if (!ref) {
    throw new AppError('not_found', `this transaction has no blob named "${input.createId}"`, {
      details: [
        { field: 'params.blob_id', message: 'not a create_id of the message_builder body' },
      ],
    });
  }
  assertUploadable(transaction);
  return upload(ctx, input, transaction.id, sender.name, ref.blob_id, `blob ${input.createId}`);
}
