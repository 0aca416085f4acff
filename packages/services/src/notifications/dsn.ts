import { randomUUID } from 'node:crypto';
import type { SmtpResponse } from '@koukan/db/schema';

export interface DsnRecipient {
  address: string;
  /** What the upstream last answered for this recipient (or for the whole message). */
  response?: SmtpResponse;
  /** Why it failed when there is no SMTP answer (timeout, connection refused, …). */
  error?: string;
}

export interface DsnInput {
  reportingMta: string;
  mailerDaemon: string;
  /** The original reverse path: the DSN's recipient. */
  to: string;
  recipients: DsnRecipient[];
  /** The original message's header section, when the body is available. */
  originalHeaders?: Buffer;
  originalMessageId?: string;
  arrivalDate: Date;
  date: Date;
  /** Why it is final, e.g. `upstream_permanent_failure_rcpt`. */
  reason: string;
}

const CRLF = '\r\n';

/** `5.1.1` from `5.1.1 no such user`; else the class of the code (`5.0.0` / `4.0.0`). */
export function enhancedStatus(r: SmtpResponse | undefined): string {
  const m = r && /^\s*([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(r.message);
  if (m) return `${m[1]}.${m[2]}.${m[3]}`;
  if (r && r.code >= 500) return '5.0.0';
  return '4.0.0';
}

/** Header fields may not carry line breaks: fold them away. */
const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ').trim();

/**
 * An RFC 3464 delivery status notification: `multipart/report; report-type=delivery-status`
 * with a human-readable part, the `message/delivery-status` fields (one per-recipient block
 * each), and the original header section as `text/rfc822-headers`.
 */
export function buildDsn(input: DsnInput): Buffer {
  const boundary = `dsn-${randomUUID()}`;
  const domain = input.reportingMta;
  const human = [
    'This is the mail delivery system. Your message could not be delivered to the',
    'following recipient(s):',
    '',
    ...input.recipients.map((r) => {
      const why = r.response ? `${r.response.code} ${oneLine(r.response.message)}` : r.error;
      return `  <${r.address}>: ${oneLine(why ?? input.reason)}`;
    }),
    '',
    `Reason: ${input.reason}`,
  ];
  const perMessage = [
    `Reporting-MTA: dns; ${domain}`,
    ...(input.originalMessageId
      ? [`Original-Envelope-Id: ${oneLine(input.originalMessageId)}`]
      : []),
    `Arrival-Date: ${input.arrivalDate.toUTCString()}`,
  ];
  const perRecipient = input.recipients.map((r) =>
    [
      `Final-Recipient: rfc822; ${r.address}`,
      'Action: failed',
      `Status: ${enhancedStatus(r.response)}`,
      r.response
        ? `Diagnostic-Code: smtp; ${r.response.code} ${oneLine(r.response.message)}`
        : `Diagnostic-Code: x-koukan; ${oneLine(r.error ?? input.reason)}`,
      `Last-Attempt-Date: ${input.date.toUTCString()}`,
    ].join(CRLF),
  );
  const headers = [
    `From: Mail Delivery System <${input.mailerDaemon}>`,
    `To: <${input.to}>`,
    'Subject: Undelivered Mail Returned to Sender',
    `Date: ${input.date.toUTCString()}`,
    `Message-ID: <${randomUUID()}@${domain}>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
  ];
  const parts = [
    [
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      human.join(CRLF),
    ].join(CRLF),
    [
      'Content-Type: message/delivery-status',
      '',
      [perMessage.join(CRLF), ...perRecipient].join(CRLF + CRLF),
      '',
    ].join(CRLF),
  ];
  if (input.originalHeaders?.length) {
    const h = input.originalHeaders.toString('utf8').replace(/\r?\n/g, CRLF).replace(/\s+$/, '');
    parts.push(['Content-Type: text/rfc822-headers', '', h, ''].join(CRLF));
  }
  const text = [
    headers.join(CRLF),
    '',
    'This is a MIME-encapsulated message.',
    '',
    ...parts.map((p) => `--${boundary}${CRLF}${p}`),
    `--${boundary}--`,
    '',
  ].join(CRLF);
  return Buffer.from(text, 'utf8');
}

/** The header section of a message: everything before the first empty line. */
export function headerSection(message: Buffer): Buffer {
  const text = message.toString('latin1');
  const m = /\r?\n\r?\n/.exec(text);
  return m ? message.subarray(0, m.index) : message;
}
