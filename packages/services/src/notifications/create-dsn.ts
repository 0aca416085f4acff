import { Readable } from 'node:stream';
import {
  adjustBlobRefs,
  appendEvent,
  createBlob,
  type DbOrTx,
  finalizeBlob,
  getSenderByName,
  insertTransaction,
  readBlobStream,
  writeBlobStream,
} from '@koukan/db';
import type { NotificationPolicy, Transaction } from '@koukan/db/schema';
import type { AttemptVerdict } from '../delivery/verdict.ts';
import { bodyHeaderFields } from '../transactions/header-fields.ts';
import { buildDsn, type DsnRecipient, headerSection } from './dsn.ts';

export interface DsnOptions {
  /** The name this MTA reports itself as (`Reporting-MTA: dns; <name>`). */
  reportingMta: string;
  /** Default From of DSNs when the policy names none; default `mailer-daemon@<reportingMta>`. */
  mailerDaemon?: string;
}

export type DsnResult =
  | { created: true; dsnId: string }
  | { created: false; reason: 'disabled' | 'null_reverse_path' | 'dsn_for_dsn' | 'no_sender' };

/** At most this many bytes of the original are read looking for the end of its headers. */
const MAX_HEADER_BYTES = 256 * 1024;

async function readHeaders(db: DbOrTx, blobId: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of readBlobStream(db, blobId, 1)) {
    parts.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    const joined = Buffer.concat(parts);
    if (/\r?\n\r?\n/.test(joined.toString('latin1')) || size >= MAX_HEADER_BYTES) break;
  }
  return headerSection(Buffer.concat(parts).subarray(0, MAX_HEADER_BYTES));
}

/**
 * When `original` just failed for good and its notification policy asks for it, stores an
 * RFC 3464 DSN to its reverse path as a new transaction of the notification sender, due now,
 * with `parent_id` = the original and `metadata.dsn_for`, and records `dsn_sent` on the
 * original's timeline. Never for a null reverse path, never for a DSN. Call inside the
 * database transaction that records the failure, so both are written or neither.
 */
export async function generateDsn(
  db: DbOrTx,
  input: {
    original: Transaction;
    policy: NotificationPolicy | null | undefined;
    verdict?: AttemptVerdict;
    error?: string;
    reason: string;
    now: Date;
    options: DsnOptions;
  },
): Promise<DsnResult> {
  const { original, policy } = input;
  if (!policy?.enabled) return { created: false, reason: 'disabled' };
  if (original.mailFrom.m === '') return { created: false, reason: 'null_reverse_path' };
  if (original.metadata.dsn_for) return { created: false, reason: 'dsn_for_dsn' };
  const senderId = policy.sender
    ? (await getSenderByName(db, policy.sender))?.id
    : original.senderId;
  if (!senderId) return { created: false, reason: 'no_sender' };

  const verdict = input.verdict;
  const recipients: DsnRecipient[] = original.rcptTo.map((r, i) => {
    const response =
      (verdict?.mailResponse && verdict.mailResponse.code >= 300 ? verdict.mailResponse : null) ??
      verdict?.rcptResponse?.[i] ??
      verdict?.dataResponse ??
      undefined;
    return { address: r.m, ...(response ? { response } : { error: input.error ?? input.reason }) };
  });
  const originalHeaders = original.bodyBlobId
    ? await readHeaders(db, original.bodyBlobId)
    : undefined;
  const body = buildDsn({
    reportingMta: input.options.reportingMta,
    mailerDaemon:
      policy.mailer_daemon ??
      input.options.mailerDaemon ??
      `mailer-daemon@${input.options.reportingMta}`,
    to: original.mailFrom.m,
    recipients,
    ...(originalHeaders && { originalHeaders }),
    arrivalDate: original.createdAt,
    date: input.now,
    reason: input.reason,
  });
  const blob = await createBlob(db, { senderId, contentType: 'message/rfc822' });
  await writeBlobStream(db, blob.id, Readable.from([body]), { offset: 0 });
  await finalizeBlob(db, blob.id);
  await adjustBlobRefs(db, blob.id, 1);
  const dsn = await insertTransaction(db, {
    senderId,
    status: 'queued',
    // A DSN is sent with the null reverse path (RFC 5321 §4.5.5), so it never bounces back.
    mailFrom: { m: '' },
    rcptTo: [{ m: original.mailFrom.m }],
    bodyBlobId: blob.id,
    nextAttemptAt: input.now,
    parentId: original.id,
    metadata: { dsn_for: original.id },
    ...bodyHeaderFields(body),
  });
  await appendEvent(db, {
    transactionId: original.id,
    type: 'dsn_sent',
    data: { dsn_id: dsn.id, to: original.mailFrom.m },
  });
  return { created: true, dsnId: dsn.id };
}
