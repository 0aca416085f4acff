import {
  appendEvent,
  createBlob,
  type DbOrTx,
  finalizeBlob,
  getBlob,
  getSenderByName,
  insertTransaction,
  readBlob,
  readBlobStream,
  writeBlobStream,
} from '@koukan/db';
import type { NotificationPolicy, SmtpResponse, Transaction } from '@koukan/db/schema';
import { MAX_HEADER_BYTES } from '@koukan/protocol/schemas';
import type { AttemptVerdict } from '../delivery/verdict.ts';
import { bodyHeaderFields } from '../transactions/header-fields.ts';
import { buildDsn, type DsnAction, type DsnRecipient, headerSection } from './dsn.ts';
import { envelopeDsnOf, type NotifyEvent, recipientDsnOf, wantsDsn } from './dsn-params.ts';

export interface DsnOptions {
  /** The name this MTA reports itself as (`Reporting-MTA: dns; <name>`). */
  reportingMta: string;
  /** Default From of DSNs when the policy names none; default `mailer-daemon@<reportingMta>`. */
  mailerDaemon?: string;
  /**
   * Default wait before a delay DSN (`KOUKAN_DSN_DELAY_AFTER_MS`), when the sender's policy
   * names none (`delay_after`); undefined: no delay DSNs unless the policy sets one.
   */
  delayAfterMs?: number;
}

/** failure: the transaction failed for good; delay: it is still retried; success: delivered. */
export type DsnKind = 'failure' | 'delay' | 'success';

export type DsnResult =
  | { created: true; dsnId: string; kind: DsnKind; recipients: number }
  | {
      created: false;
      reason: 'disabled' | 'null_reverse_path' | 'dsn_for_dsn' | 'no_sender' | 'not_requested';
    };

/** RET=FULL returns the whole message up to this size, else its headers (RFC 3461 §4.3). */
const MAX_RETURNED_BYTES = 10 * 1024 * 1024;

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

/** RET=FULL on a failure returns the message when it is not too big; else the headers. */
async function returned(
  db: DbOrTx,
  original: Transaction,
  kind: DsnKind,
): Promise<{ headers: Buffer } | { message: Buffer } | undefined> {
  const blobId = original.bodyBlobId;
  if (!blobId) return undefined;
  if (kind === 'failure' && envelopeDsnOf(original.mailFrom.e).ret === 'FULL') {
    const blob = await getBlob(db, blobId);
    if (blob && blob.status === 'finalized' && blob.size <= MAX_RETURNED_BYTES) {
      return { message: await readBlob(db, blobId) };
    }
  }
  return { headers: await readHeaders(db, blobId) };
}

const EVENT: Record<DsnKind, NotifyEvent> = {
  failure: 'FAILURE',
  delay: 'DELAY',
  success: 'SUCCESS',
};
const is2xx = (r: SmtpResponse | undefined) => !!r && r.code >= 200 && r.code < 300;

/** One recipient's own answer: MAIL's refusal, else its RCPT refusal, else DATA's answer. */
function responseOf(v: AttemptVerdict | undefined, i: number): SmtpResponse | undefined {
  if (!v) return undefined;
  if (v.mailResponse && v.mailResponse.code >= 300) return v.mailResponse;
  const rcpt = v.rcptResponse?.[i];
  if (rcpt && rcpt.code >= 300) return rcpt;
  return v.dataResponse ?? rcpt ?? undefined;
}

/**
 * The recipients a DSN of `kind` reports, each as it asked (RFC 3461 NOTIFY, ORCPT): a failure
 * DSN lists the recipients that did not get the message, a delay DSN those still waiting, a
 * success DSN those delivered; each only when its NOTIFY asks for that event.
 */
function dsnRecipients(input: {
  original: Transaction;
  kind: DsnKind;
  policy: NotificationPolicy;
  verdict?: AttemptVerdict | undefined;
  error?: string | undefined;
  reason: string;
  now: Date;
  willRetryUntil?: Date | undefined;
}): DsnRecipient[] {
  const { original, kind, verdict } = input;
  const action: DsnAction =
    kind === 'failure' ? 'failed' : kind === 'delay' ? 'delayed' : 'delivered';
  const out: DsnRecipient[] = [];
  for (const [i, r] of original.rcptTo.entries()) {
    const asked = recipientDsnOf(r.e);
    const wanted = wantsDsn(asked, EVENT[kind], {
      delayWithoutNotify: input.policy.delay_without_notify === true,
    });
    if (!wanted) continue;
    const response = responseOf(verdict, i);
    // a failure or delay report is about the recipients that did not get the message
    if (kind !== 'success' && is2xx(response)) continue;
    out.push({
      address: r.m,
      action,
      ...(asked.orcpt && { original: asked.orcpt }),
      ...(response ? { response } : { error: input.error ?? input.reason }),
      ...(verdict?.upstreamHost && { remoteMta: verdict.upstreamHost }),
      lastAttemptDate: input.now,
      ...(kind === 'delay' && input.willRetryUntil && { willRetryUntil: input.willRetryUntil }),
    });
  }
  return out;
}

/**
 * When `original` failed for good, is still being retried (a delay), or was delivered, and its
 * notification policy and its recipients' NOTIFY ask for it, stores an RFC 3464 DSN to its
 * reverse path as a new transaction of the notification sender, due now, with `parent_id` = the
 * original and `metadata.dsn_for`, and records `dsn_sent` on the original's timeline. Never for
 * a null reverse path, never for a DSN, never to NOTIFY=NEVER. Call inside the database
 * transaction that records the outcome, so both are written or neither.
 */
export async function generateDsn(
  db: DbOrTx,
  input: {
    original: Transaction;
    policy: NotificationPolicy | null | undefined;
    /** default `failure` */
    kind?: DsnKind;
    verdict?: AttemptVerdict;
    error?: string;
    reason: string;
    now: Date;
    /** Delay DSNs: the retry deadline (`Will-Retry-Until`). */
    willRetryUntil?: Date;
    options: DsnOptions;
  },
): Promise<DsnResult> {
  const { original, policy } = input;
  const kind = input.kind ?? 'failure';
  if (!policy?.enabled) return { created: false, reason: 'disabled' };
  if (original.mailFrom.m === '') return { created: false, reason: 'null_reverse_path' };
  if (original.metadata.dsn_for) return { created: false, reason: 'dsn_for_dsn' };
  const recipients = dsnRecipients({ ...input, kind, policy });
  if (recipients.length === 0) return { created: false, reason: 'not_requested' };
  const senderId = policy.sender
    ? (await getSenderByName(db, policy.sender))?.id
    : original.senderId;
  if (!senderId) return { created: false, reason: 'no_sender' };

  const ret = await returned(db, original, kind);
  const envid = envelopeDsnOf(original.mailFrom.e).envid;
  const body = await buildDsn({
    reportingMta: input.options.reportingMta,
    mailerDaemon:
      policy.mailer_daemon ??
      input.options.mailerDaemon ??
      `mailer-daemon@${input.options.reportingMta}`,
    to: original.mailFrom.m,
    recipients,
    ...(envid !== undefined && { envid }),
    ...(ret && { returned: ret }),
    arrivalDate: original.createdAt,
    date: input.now,
    reason: input.reason,
  });
  const blob = await createBlob(db, { senderId, contentType: 'message/rfc822' });
  await writeBlobStream(db, blob.id, [body], { offset: 0 });
  await finalizeBlob(db, blob.id);
  const dsn = await insertTransaction(db, {
    senderId,
    status: 'queued',
    // A DSN is sent with the null reverse path (RFC 5321 §4.5.5), so it never bounces back.
    mailFrom: { m: '' },
    rcptTo: [{ m: original.mailFrom.m }],
    bodyBlobId: blob.id,
    nextAttemptAt: input.now,
    parentId: original.id,
    metadata: { dsn_for: original.id, dsn_kind: kind },
    ...bodyHeaderFields(body),
  });
  await appendEvent(db, {
    transactionId: original.id,
    type: 'dsn_sent',
    data: {
      dsn_id: dsn.id,
      to: original.mailFrom.m,
      kind,
      recipients: recipients.map((r) => r.address),
    },
  });
  return { created: true, dsnId: dsn.id, kind, recipients: recipients.length };
}
