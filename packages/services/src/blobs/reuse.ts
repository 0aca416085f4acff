import { type DbOrTx, getBlob, getTransaction, isUuid, type schema } from '@koukan/db';
import { AppError } from '../errors.ts';
import { storedSpecOf } from './body-spec.ts';

const BODY_PATH = /^\/v1\/transactions\/([^/]+)\/body$/;
const BLOB_PATH = /^\/v1\/transactions\/([^/]+)\/blob\/([^/]+)$/;

function pathOf(uri: string): string | null {
  if (uri.startsWith('/')) return uri;
  try {
    const u = new URL(uri);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.pathname : null;
  } catch {
    return null;
  }
}

/**
 * Resolves a `reuse_uri` (`/v1/transactions/{id}/body` or `/v1/transactions/{id}/blob/{create_id}`,
 * optionally as an absolute URL) to a finalized blob of the same sender. The blob is then
 * shared, not copied: the caller takes a reference.
 */
export async function resolveReuseUri(
  db: DbOrTx,
  senderId: string,
  uri: string,
  field: string,
): Promise<schema.Blob> {
  const fail = (message: string) =>
    new AppError('unprocessable', `${field}: ${message}`, { details: [{ field, message }] });
  const path = pathOf(uri);
  const body = path ? BODY_PATH.exec(path) : null;
  const part = path ? BLOB_PATH.exec(path) : null;
  const txId = (body ?? part)?.[1];
  if (!txId) {
    throw fail('must be /v1/transactions/{id}/body or /v1/transactions/{id}/blob/{create_id}');
  }
  const source = isUuid(txId) ? await getTransaction(db, txId) : undefined;
  if (!source || source.senderId !== senderId) {
    throw fail('names no transaction of this sender');
  }
  let blobId: string | null | undefined;
  if (body) {
    blobId = source.bodyBlobId;
  } else {
    let createId: string;
    try {
      createId = decodeURIComponent(part![2]!);
    } catch {
      const message = 'malformed %-escape in the blob name';
      throw new AppError('bad_request', `${field}: ${message}`, { details: [{ field, message }] });
    }
    blobId = storedSpecOf(source.bodySpec)?.blobs.find((b) => b.create_id === createId)?.blob_id;
  }
  const blob = blobId ? await getBlob(db, blobId) : undefined;
  if (!blob) throw fail('names no stored body or blob');
  if (blob.status !== 'finalized') throw fail('the body or blob is not completely uploaded yet');
  return blob;
}
