import { randomUUID } from 'node:crypto';
import { replyLine, type SmtpResponse } from '@koukan/db/schema';
import { foldLines } from 'nodemailer/lib/mime-funcs';
import MimeNode from 'nodemailer/lib/mime-node';

/** RFC 3464 §2.3.3 `Action`: what happened to one recipient. */
export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed';

export interface DsnRecipient {
  /** The address the message was delivered to or attempted at (`Final-Recipient`). */
  address: string;
  action: DsnAction;
  /** From ORCPT (`Original-Recipient`); never guessed. */
  original?: { type: string; address: string };
  /** What the upstream last answered for this recipient (or for the whole message). */
  response?: SmtpResponse;
  /** Why it failed when there is no SMTP answer (timeout, connection refused, …). */
  error?: string;
  /** The host that gave `response` (`Remote-MTA`). */
  remoteMta?: string;
  lastAttemptDate?: Date;
  /** Delayed only: until when delivery is retried (`Will-Retry-Until`). */
  willRetryUntil?: Date;
}

export interface DsnInput {
  reportingMta: string;
  mailerDaemon: string;
  /** The original reverse path: the DSN's recipient. */
  to: string;
  recipients: DsnRecipient[];
  /** The ENVID of the original MAIL (`Original-Envelope-Id`); only ever that. */
  envid?: string;
  /** What is returned (RET): the original header section, or the whole message. */
  returned?: { headers: Buffer } | { message: Buffer };
  arrivalDate: Date;
  date: Date;
  /** Why it is final, e.g. `upstream_permanent_failure_rcpt`. */
  reason: string;
}

/** The reply's enhanced status code; else the class of the code (`5.0.0` / `4.0.0` / `2.0.0`). */
function enhancedStatus(r: SmtpResponse | undefined, action: DsnAction = 'failed'): string {
  if (r?.enhanced) return r.enhanced;
  if (action === 'delivered' || action === 'relayed') return '2.0.0';
  if (r && r.code >= 500) return '5.0.0';
  return '4.0.0';
}

/** Header fields may not carry line breaks: fold them away. */
const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ').trim();

/**
 * A delivery-status field value: one line of US-ASCII, non-ASCII escaped as RFC 6533's
 * `\x{HEX}` (message/delivery-status is 7-bit), control characters dropped.
 */
function ascii(s: string): string {
  let out = '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  for (const ch of oneLine(s).replace(/[\x00-\x1f\x7f]/g, ' ')) {
    const cp = ch.codePointAt(0)!;
    out += cp > 0x7e ? `\\x{${cp.toString(16).toUpperCase()}}` : ch === '\\' ? '\\x{5C}' : ch;
  }
  return out;
}

/** One `Name: value` field, folded at 76 columns with the continuation indented. */
const field = (name: string, value: string) => foldLines(`${name}: ${ascii(value)}`, 76);

/** RFC 5322 date-time, which `toUTCString` is not quite (no day-of-week comma rules differ). */
const rfc5322Date = (d: Date) => d.toUTCString().replace(/GMT$/, '+0000');

/** `dns; mx.example.net` when `host` looks like a host name or an address literal. */
function remoteMta(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return /^[A-Za-z0-9.:-]{1,253}$/.test(h) ? `dns; ${h}` : undefined;
}

const SUBJECT: Record<DsnAction, string> = {
  failed: 'Undelivered Mail Returned to Sender',
  delayed: 'Delayed Mail (still being retried)',
  delivered: 'Successful Mail Delivery Report',
  relayed: 'Mail Relayed Report',
};

const INTRO: Record<DsnAction, string> = {
  failed: 'Your message could not be delivered to the following recipient(s):',
  delayed:
    'Your message has not been delivered yet to the following recipient(s). Delivery is being retried; you do not need to send it again:',
  delivered: 'Your message was delivered to the following recipient(s):',
  relayed:
    'Your message was handed on to the following recipient(s) by a system that sends no further reports:',
};

function humanPart(input: DsnInput): string {
  const lines = ['This is the mail delivery system at ' + input.reportingMta + '.', ''];
  const actions = [...new Set(input.recipients.map((r) => r.action))];
  for (const action of actions) {
    lines.push(INTRO[action], '');
    for (const r of input.recipients.filter((x) => x.action === action)) {
      const why = r.response ? oneLine(replyLine(r.response)) : r.error;
      lines.push(`  <${r.address}>${why ? `: ${oneLine(why)}` : ''}`);
      if (r.willRetryUntil) lines.push(`    retried until ${rfc5322Date(r.willRetryUntil)}`);
    }
    lines.push('');
  }
  if (actions.includes('failed')) lines.push(`Reason: ${input.reason}`, '');
  return lines.join('\r\n');
}

function statusPart(input: DsnInput): string {
  const perMessage = [
    field('Reporting-MTA', `dns; ${input.reportingMta}`),
    ...(input.envid ? [field('Original-Envelope-Id', input.envid)] : []),
    field('Arrival-Date', rfc5322Date(input.arrivalDate)),
  ];
  const perRecipient = input.recipients.map((r) => {
    const mta = remoteMta(r.remoteMta);
    return [
      ...(r.original
        ? [field('Original-Recipient', `${r.original.type}; ${r.original.address}`)]
        : []),
      field('Final-Recipient', `rfc822; ${r.address}`),
      field('Action', r.action),
      field('Status', enhancedStatus(r.response, r.action)),
      ...(mta ? [field('Remote-MTA', mta)] : []),
      r.response
        ? field('Diagnostic-Code', `smtp; ${replyLine(r.response)}`)
        : r.error
          ? field('Diagnostic-Code', `x-koukan; ${r.error}`)
          : undefined,
      ...(r.lastAttemptDate ? [field('Last-Attempt-Date', rfc5322Date(r.lastAttemptDate))] : []),
      ...(r.willRetryUntil ? [field('Will-Retry-Until', rfc5322Date(r.willRetryUntil))] : []),
    ]
      .filter((l): l is string => l !== undefined)
      .join('\r\n');
  });
  return `${[perMessage.join('\r\n'), ...perRecipient].join('\r\n\r\n')}\r\n`;
}

/**
 * An RFC 3464 delivery status notification built with nodemailer's MIME builder:
 * `multipart/report; report-type=delivery-status` with a human-readable part, the
 * `message/delivery-status` part (per-message fields, then one block per recipient), and, as
 * RET asked, the original header section (`text/rfc822-headers`) or the whole message
 * (`message/rfc822`). Header fields are folded and encoded by the builder.
 */
export async function buildDsn(input: DsnInput): Promise<Buffer> {
  const actions = new Set(input.recipients.map((r) => r.action));
  const main: DsnAction = actions.has('failed')
    ? 'failed'
    : actions.has('delayed')
      ? 'delayed'
      : ([...actions][0] ?? 'failed');
  const root = new MimeNode('multipart/report; report-type=delivery-status', {
    hostname: input.reportingMta,
    newline: '\r\n',
  });
  root.setHeader({
    From: `Mail Delivery System <${input.mailerDaemon}>`,
    To: `<${input.to}>`,
    Subject: SUBJECT[main],
    Date: input.date,
    'Message-ID': `<${randomUUID()}@${input.reportingMta}>`,
    'Auto-Submitted': 'auto-replied',
  });
  root.createChild('text/plain; charset=utf-8').setContent(humanPart(input));
  root.createChild('message/delivery-status').setContent(statusPart(input));
  const r = input.returned;
  if (r && 'message' in r) {
    root.createChild('message/rfc822').setContent(r.message);
  } else if (r?.headers.length) {
    const h = r.headers.toString('utf8').replace(/\r?\n/g, '\r\n').replace(/\s+$/, '');
    root.createChild('text/rfc822-headers; charset=utf-8').setContent(`${h}\r\n`);
  }
  return root.build();
}

/** The header section of a message: everything before the first empty line. */
export function headerSection(message: Buffer): Buffer {
  const text = message.toString('latin1');
  const m = /\r?\n\r?\n/.exec(text);
  return m ? message.subarray(0, m.index) : message;
}
