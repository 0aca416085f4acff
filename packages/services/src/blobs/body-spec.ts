import type { MessageBuilderSpec } from '../transactions/message-builder-schema.ts';

/**
 * What `transactions.body_spec` holds for a message-builder body: the spec as submitted, and
 * for each part whose content is a `create_id` or a `reuse_uri`, the blob that holds it.
 * The message_builder filter reads the blob of a part by its `path`.
 */
export interface StoredBodySpec {
  message_builder: MessageBuilderSpec;
  blobs: BuilderBlobRef[];
}

export interface BuilderBlobRef {
  /** JSON path of the part's content in the spec, e.g. `attachments[0].content`. */
  path: string;
  create_id?: string;
  reuse_uri?: string;
  blob_id: string;
}

export function storedSpecOf(bodySpec: Record<string, unknown> | null): StoredBodySpec | null {
  if (!bodySpec || !('message_builder' in bodySpec)) return null;
  return bodySpec as unknown as StoredBodySpec;
}

export function blobIdsOf(transaction: {
  bodyBlobId: string | null;
  bodySpec: Record<string, unknown> | null;
}): string[] {
  const spec = storedSpecOf(transaction.bodySpec);
  const ids = spec ? spec.blobs.map((b) => b.blob_id) : [];
  if (transaction.bodyBlobId) ids.push(transaction.bodyBlobId);
  return [...new Set(ids)];
}
