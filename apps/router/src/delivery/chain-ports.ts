import type { Readable } from 'node:stream';
import type { BlobReader, RouteSubmitter, SandboxStore, SecretStore } from '@koukan/chain';
import {
  adjustBlobRefs,
  appendEvent,
  createBlob,
  type Db,
  finalizeBlob,
  getSenderByName,
  insertTransaction,
  readBlobStream,
  writeBlobStream,
} from '@koukan/db';
import type { Transaction } from '@koukan/db/schema';
import { storedSpecOf } from '@koukan/services';

/** Stores a stream as a new finalized blob holding one reference. */
async function storeBlob(db: Db, senderId: string | null, body: Readable): Promise<string> {
  const blob = await createBlob(db, { senderId });
  await writeBlobStream(db, blob.id, body);
  await finalizeBlob(db, blob.id);
  await adjustBlobRefs(db, blob.id, 1);
  return blob.id;
}

/** Message-builder parts by `create_id` or `reuse_uri`, from the blobs the REST API stored. */
export function blobReader(db: Db, tx: Transaction): BlobReader {
  return {
    open(ref) {
      const refs = storedSpecOf(tx.bodySpec)?.blobs ?? [];
      const found =
        'create_id' in ref
          ? refs.find((b) => b.create_id === ref.create_id)
          : refs.find((b) => b.reuse_uri === ref.reuse_uri);
      if (!found) throw new Error(`no stored blob for ${JSON.stringify(ref)}`);
      return readBlobStream(db, found.blob_id);
    },
  };
}

/** The sandbox inbox: the message is stored as a blob and the timeline points at it. */
export function sandboxStore(db: Db, tx: Transaction): SandboxStore {
  return {
    async store(msg) {
      const blobId = await storeBlob(db, tx.senderId, msg.body);
      await appendEvent(db, {
        transactionId: tx.id,
        type: 'sandbox_stored',
        data: { blob_id: blobId, mailbox: msg.mailbox ?? 'sandbox' },
      });
      return { id: blobId };
    },
  };
}

/** `add_route`: a copy stored as a new transaction of another sender, due now. */
export function routeSubmitter(db: Db, tx: Transaction): RouteSubmitter {
  return {
    async enqueue(senderName, copy) {
      const sender = await getSenderByName(db, senderName);
      if (!sender) throw new Error(`add_route: no sender named ${senderName}`);
      const blobId = await storeBlob(db, sender.id, copy.body);
      const created = await insertTransaction(db, {
        senderId: sender.id,
        mailFrom: copy.mail_from,
        rcptTo: copy.rcpt_to,
        bodyBlobId: blobId,
        nextAttemptAt: new Date(),
        parentId: tx.id,
        metadata: { add_route_of: tx.id },
      });
      return { id: created.id };
    },
  };
}

/**
 * Secrets named by chain configs (`api_key_ref`, `private_key_ref`) come from the environment:
 * ref `dkim/example.com` is `KOUKAN_SECRET_DKIM_EXAMPLE_COM`. Values are never logged.
 */
export function envSecrets(secrets: ReadonlyMap<string, string>): SecretStore {
  return { get: (ref) => secrets.get(secretEnvName(ref)) };
}

export function secretEnvName(ref: string): string {
  return `KOUKAN_SECRET_${ref.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}
