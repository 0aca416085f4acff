import type { Readable } from 'node:stream';
import { headerValue, type RouteSubmitter, readHeaders, type SandboxStore } from '@koukan/chain';
import {
  appendEvent,
  createBlob,
  type Db,
  finalizeBlob,
  getBlob,
  getSenderByName,
  insertSandboxMessage,
  insertTransaction,
  readBlobStream,
  SANDBOX_STORED_EVENT,
  writeBlobStream,
} from '@koukan/db';

/** Stores a stream as a new finalized blob (held by the row that names it next). */
async function storeBlob(db: Db, senderId: string | null, body: Readable): Promise<string> {
  const blob = await createBlob(db, { senderId });
  await writeBlobStream(db, blob.id, body);
  await finalizeBlob(db, blob.id);
  return blob.id;
}

/**
 * The sandbox inbox: the message is stored as a blob (held by the inbox row), listed in `sandbox_messages` with its envelope, Subject and Message-ID, and the
 * timeline points at it.
 */
export function sandboxStore(db: Db): SandboxStore {
  return {
    async store(msg) {
      const sender = await getSenderByName(db, msg.sender);
      const blobId = await storeBlob(db, sender?.id ?? null, msg.body);
      const headers = await readHeaders({ open: () => readBlobStream(db, blobId) });
      const mailbox = msg.mailbox ?? 'sandbox';
      const row = await insertSandboxMessage(db, {
        mailbox,
        transactionId: msg.transaction_id,
        sender: msg.sender,
        mailFrom: msg.mail_from.m,
        rcptTo: msg.rcpt_to.map((r) => r.m),
        subject: headerValue(headers, 'subject') ?? '',
        messageId: headerValue(headers, 'message-id') ?? null,
        blobId,
        size: (await getBlob(db, blobId))?.size ?? 0,
      });
      await appendEvent(db, {
        transactionId: msg.transaction_id,
        type: SANDBOX_STORED_EVENT,
        data: { blob_id: blobId, mailbox, sandbox_message_id: row.id },
      });
      return { id: row.id };
    },
  };
}

/** `add_route`: a copy stored as a new transaction of another sender, due now. */
export function routeSubmitter(db: Db): RouteSubmitter {
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
        metadata: { add_route: true },
      });
      return { id: created.id };
    },
  };
}
