import {
  createBlob,
  createSender,
  type Db,
  finalizeBlob,
  insertTransaction,
  type TransactionInsert,
  writeBlobStream,
} from '@koukan/db';
import type { SenderInput, Transaction } from '@koukan/db/schema';
import { uniqueName } from '@koukan/db/testing';

export const SAMPLE_MESSAGE = [
  'From: Alice <alice@example.com>',
  'To: bob@example.net',
  'Subject: Quarterly report',
  'Message-ID: <q3-report@example.com>',
  '',
  'The numbers are in.',
  '',
].join('\r\n');

/** A sender with a unique name and the given policies. */
export function makeSender(db: Db, input: Omit<SenderInput, 'name'> = {}) {
  return createSender(db, { name: uniqueName('s'), ...input });
}

/** A queued transaction, due now, with a finalized body blob (which it holds). */
export async function makeTransaction(
  db: Db,
  senderId: string,
  overrides: Partial<TransactionInsert> = {},
  body = SAMPLE_MESSAGE,
): Promise<Transaction> {
  const blob = await createBlob(db, { senderId, contentType: 'message/rfc822' });
  await writeBlobStream(db, blob.id, [Buffer.from(body)], { offset: 0 });
  await finalizeBlob(db, blob.id);
  return insertTransaction(db, {
    senderId,
    mailFrom: { m: 'alice@example.com' },
    rcptTo: [{ m: `${uniqueName('rcpt')}@example.net` }],
    bodyBlobId: blob.id,
    nextAttemptAt: new Date(Date.now() - 1000),
    ...overrides,
  });
}
export { type GeneratedGroup, generateQueue } from '../queue/testing.ts';
