import {
  appendEvent,
  type ClaimedTransaction,
  readBlobHead,
  schema,
  setBodyHeaderFields,
  updateTransaction,
} from '@koukan/db';
import { eq } from 'drizzle-orm';
import type { BlobUploadResult } from '../blobs/upload.ts';
import { nowOf, type ServiceContext } from '../context.ts';
import { bodyHeaderFields, HEADER_SCAN_BYTES } from './header-fields.ts';
import type { TransactionView } from './schemas.ts';
import { bodyView, isDeliverable, loadBlobs, toView } from './view.ts';

export interface UploadResult {
  transaction: TransactionView;
  /** The blob that was written. */
  size: number;
  expectedSize: number | null;
  finalized: boolean;
  /** The whole body (every blob of a built message) is now complete. */
  bodyComplete: boolean;
  interrupted: string | null;
  /**
   * Claimed for delivery by the upload itself (cut-through, under the lease `reserveLease`
   * gave): the caller runs it.
   */
  claimed?: ClaimedTransaction;
}

/**
 * After an upload request: bump the transaction's version (so its ETag and long-polls see the
 * progress) and, once the body is complete, make it due.
 */
export async function afterUpload(
  ctx: ServiceContext,
  transactionId: string,
  senderName: string,
  result: BlobUploadResult,
  what: string,
): Promise<UploadResult> {
  const { view, bodyComplete } = await ctx.db.transaction(async (tx) => {
    const [locked] = await tx
      .select()
      .from(schema.transactions)
      .where(eq(schema.transactions.id, transactionId))
      .for('update');
    const blobs = await loadBlobs(tx, locked!);
    const complete = bodyView(locked!, blobs).status === 'finalized';
    const due =
      isDeliverable(locked!, blobs) && locked!.status === 'queued' && !locked!.nextAttemptAt;
    const row = await updateTransaction(
      tx,
      transactionId,
      due ? { nextAttemptAt: nowOf(ctx) } : {},
    );
    if (result.finalized && locked!.bodyBlobId === result.blob.id) {
      // The rfc822 body is complete: its Message-ID and Subject, for search.
      const head = await readBlobHead(tx, result.blob.id, HEADER_SCAN_BYTES);
      await setBodyHeaderFields(tx, transactionId, bodyHeaderFields(head));
    }
    if (result.finalized) {
      await appendEvent(tx, {
        transactionId,
        type: 'blob_finalized',
        data: { what, size: result.blob.size, body_complete: complete },
      });
    }
    return { view: toView(row, senderName, blobs), bodyComplete: complete };
  });
  return {
    transaction: view,
    size: result.blob.size,
    expectedSize: result.blob.expectedSize,
    finalized: result.finalized,
    bodyComplete,
    interrupted: result.interrupted,
  };
}
