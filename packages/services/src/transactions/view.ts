import { type DbOrTx, schema } from '@koukan/db';
import { inArray } from 'drizzle-orm';
import { blobIdsOf, storedSpecOf } from '../blobs/body-spec.ts';
import type { BlobView, BodyView, TransactionView } from './schemas.ts';

type Transaction = schema.Transaction;
type Blob = schema.Blob;

export const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

function blobStatus(blob: Blob | undefined): BlobView['status'] {
  if (!blob || (blob.status === 'uploading' && blob.size === 0)) return 'awaiting_upload';
  return blob.status === 'finalized' ? 'finalized' : 'uploading';
}

export async function loadBlobs(db: DbOrTx, transaction: Transaction): Promise<Map<string, Blob>> {
  const ids = blobIdsOf(transaction);
  if (ids.length === 0) return new Map();
  const rows = await db.select().from(schema.blobs).where(inArray(schema.blobs.id, ids));
  return new Map(rows.map((b) => [b.id, b]));
}

function blobView(uri: string, blob: Blob | undefined, createId?: string): BlobView {
  return {
    ...(createId !== undefined && { create_id: createId }),
    uri,
    status: blobStatus(blob),
    size: blob?.size ?? 0,
    expected_size: blob?.expectedSize ?? null,
  };
}

export function bodyView(transaction: Transaction, blobs: Map<string, Blob>): BodyView {
  const spec = storedSpecOf(transaction.bodySpec);
  const base = `/v1/transactions/${transaction.id}`;
  if (spec) {
    const parts = spec.blobs.map((ref) =>
      blobView(
        ref.create_id ? `${base}/blob/${encodeURIComponent(ref.create_id)}` : ref.reuse_uri!,
        blobs.get(ref.blob_id),
        ref.create_id,
      ),
    );
    const statuses = parts.map((p) => p.status);
    const status = statuses.every((s) => s === 'finalized')
      ? 'finalized'
      : statuses.every((s) => s === 'awaiting_upload')
        ? 'awaiting_upload'
        : 'uploading';
    return { type: 'message_builder', status, rfc822: null, blobs: parts };
  }
  const blob = transaction.bodyBlobId ? blobs.get(transaction.bodyBlobId) : undefined;
  const rfc822 = blobView(`${base}/body`, blob);
  return { type: 'rfc822', status: rfc822.status, rfc822, blobs: [] };
}

/** True when the engine can start: at least one recipient and every byte of the body. */
export function isDeliverable(transaction: Transaction, blobs: Map<string, Blob>): boolean {
  return transaction.rcptTo.length > 0 && bodyView(transaction, blobs).status === 'finalized';
}

export function toView(
  transaction: Transaction,
  senderName: string,
  blobs: Map<string, Blob>,
): TransactionView {
  const heartbeat = transaction.metadata.heartbeat_at;
  return {
    id: transaction.id,
    sender: senderName,
    status: transaction.status,
    version: transaction.version,
    mail_from: transaction.mailFrom,
    rcpt_to: transaction.rcptTo,
    body: bodyView(transaction, blobs),
    mail_response: transaction.mailResponse ?? null,
    rcpt_response: transaction.rcptResponse ?? [],
    data_response: transaction.dataResponse ?? null,
    attempt_count: transaction.attemptCount,
    final_attempt_reason: transaction.finalAttemptReason,
    next_attempt_at: iso(transaction.nextAttemptAt),
    cancel_requested_at: iso(transaction.cancelRequestedAt),
    heartbeat_at: typeof heartbeat === 'string' ? heartbeat : null,
    created_at: transaction.createdAt.toISOString(),
    updated_at: transaction.updatedAt.toISOString(),
    finished_at: iso(transaction.finishedAt),
  };
}

export async function viewOf(
  db: DbOrTx,
  transaction: Transaction,
  senderName: string,
): Promise<TransactionView> {
  return toView(transaction, senderName, await loadBlobs(db, transaction));
}
