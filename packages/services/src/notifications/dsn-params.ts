/**
 * RFC 3461 DSN parameters as they travel with a transaction: the ESMTP parameters of MAIL
 * (`RET`, `ENVID`) and of each RCPT (`NOTIFY`, `ORCPT`), stored in the envelope's mailboxes
 * (`mail_from.e`, `rcpt_to[i].e`) with xtext already decoded, exactly as the gateway received them
 * and as its outbound relays them. Pure functions only: the SMTP listener, the REST schemas and
 * the DSN generator share them.
 */

export type NotifyEvent = 'SUCCESS' | 'FAILURE' | 'DELAY';
/** `NEVER`, or a non-empty set of events. */
export type Notify = 'NEVER' | NotifyEvent[];
export type Ret = 'FULL' | 'HDRS';

export interface EnvelopeDsn {
  ret?: Ret;
  envid?: string;
}

export interface RecipientDsn {
  notify?: Notify;
  /** `rfc822;bob@example.org` split: `{ type: 'rfc822', address: 'bob@example.org' }`. */
  orcpt?: { type: string; address: string };
}

/** RFC 3461 §4.4: at most 100 characters. */
const MAX_ENVID = 100;
/** RFC 3461 §4.2: at most 500 characters. */
const MAX_ORCPT = 500;

const NOTIFY_EVENTS: readonly string[] = ['SUCCESS', 'FAILURE', 'DELAY'];
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
const CONTROL = /[\x00-\x1f\x7f]/;
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
const ADDR_TYPE = /^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/;

/** What is wrong with a NOTIFY value, or null. */
export function notifyProblem(value: string): string | null {
  const parts = value.toUpperCase().split(',');
  if (parts.some((p) => p !== 'NEVER' && !NOTIFY_EVENTS.includes(p))) {
    return 'NOTIFY must be NEVER or a comma-separated list of SUCCESS, FAILURE, DELAY';
  }
  if (parts.includes('NEVER') && parts.length > 1) {
    return 'NOTIFY=NEVER cannot be combined with other values';
  }
  if (new Set(parts).size !== parts.length) return 'NOTIFY lists a value twice';
  return null;
}

function retProblem(value: string): string | null {
  const v = value.toUpperCase();
  return v === 'FULL' || v === 'HDRS' ? null : 'RET must be FULL or HDRS';
}

export function envidProblem(value: string): string | null {
  if (value.length === 0) return 'ENVID may not be empty';
  if (value.length > MAX_ENVID) return `ENVID is longer than ${MAX_ENVID} characters`;
  if (!PRINTABLE_ASCII.test(value)) return 'ENVID must be printable US-ASCII';
  return null;
}

/** `addr-type;address` (RFC 3461 §4.2); UTF-8 is allowed in the address of type `utf-8`. */
export function orcptProblem(value: string): string | null {
  if (value.length > MAX_ORCPT) return `ORCPT is longer than ${MAX_ORCPT} characters`;
  const semi = value.indexOf(';');
  const type = semi > 0 ? value.slice(0, semi) : '';
  const address = semi > 0 ? value.slice(semi + 1) : '';
  if (!ADDR_TYPE.test(type) || address.length === 0) {
    return 'ORCPT must be addr-type;address, e.g. rfc822;bob@example.org';
  }
  if (CONTROL.test(address)) return 'ORCPT may not contain control characters';
  if (type.toLowerCase() !== 'utf-8' && !PRINTABLE_ASCII.test(address)) {
    return 'ORCPT must be US-ASCII unless its type is utf-8';
  }
  return null;
}

const CHECKS: Record<string, (value: string) => string | null> = {
  NOTIFY: notifyProblem,
  RET: retProblem,
  ENVID: envidProblem,
  ORCPT: orcptProblem,
};

/** The DSN parameters of MAIL and of RCPT (a DSN parameter on the wrong command is refused). */
const MAIL_DSN_KEYWORDS = ['RET', 'ENVID'];
const RCPT_DSN_KEYWORDS = ['NOTIFY', 'ORCPT'];

export function isDsnKeyword(keyword: string): boolean {
  return keyword.toUpperCase() in CHECKS;
}

/**
 * What is wrong with one ESMTP parameter as a DSN parameter of `command`, or null (also for a
 * parameter that is not a DSN parameter: those are checked elsewhere).
 */
export function dsnParamProblem(
  command: 'mail' | 'rcpt',
  keyword: string,
  value: string | undefined,
): string | null {
  const k = keyword.toUpperCase();
  const check = CHECKS[k];
  if (!check) return null;
  const allowed = command === 'mail' ? MAIL_DSN_KEYWORDS : RCPT_DSN_KEYWORDS;
  if (!allowed.includes(k)) return `${k} is a ${command === 'mail' ? 'RCPT' : 'MAIL'} parameter`;
  if (value === undefined) return `${k} requires a value`;
  return check(value);
}

interface Param {
  k: string;
  p?: string | undefined;
}

/** The first problem among a mailbox's DSN parameters (with its index in `e`), or null. */
export function dsnParamsProblem(
  command: 'mail' | 'rcpt',
  params: readonly Param[] | undefined,
): { index: number; message: string } | null {
  const seen = new Set<string>();
  for (const [index, e] of (params ?? []).entries()) {
    const k = e.k.toUpperCase();
    if (!isDsnKeyword(k)) continue;
    if (seen.has(k)) return { index, message: `${k} given twice` };
    seen.add(k);
    const message = dsnParamProblem(command, k, e.p);
    if (message) return { index, message };
  }
  return null;
}

const param = (params: readonly Param[] | undefined, k: string) =>
  params?.find((e) => e.k.toUpperCase() === k)?.p;

/** RET and ENVID of a reverse path's parameters (invalid values are ignored). */
export function envelopeDsnOf(params: readonly Param[] | undefined): EnvelopeDsn {
  const ret = param(params, 'RET')?.toUpperCase();
  const envid = param(params, 'ENVID');
  return {
    ...((ret === 'FULL' || ret === 'HDRS') && { ret }),
    ...(envid !== undefined && envidProblem(envid) === null && { envid }),
  };
}

/** NOTIFY and ORCPT of a recipient's parameters (invalid values are ignored). */
export function recipientDsnOf(params: readonly Param[] | undefined): RecipientDsn {
  const n = param(params, 'NOTIFY');
  const o = param(params, 'ORCPT');
  const notify: Notify | undefined =
    n === undefined || notifyProblem(n) !== null
      ? undefined
      : n.toUpperCase() === 'NEVER'
        ? 'NEVER'
        : (n.toUpperCase().split(',') as NotifyEvent[]);
  const semi = o?.indexOf(';') ?? -1;
  return {
    ...(notify && { notify }),
    ...(o !== undefined &&
      orcptProblem(o) === null && {
        orcpt: { type: o.slice(0, semi), address: o.slice(semi + 1) },
      }),
  };
}

/**
 * Whether a recipient gets a DSN for `event`. NOTIFY=NEVER: never. An explicit NOTIFY: only
 * for the events it lists. No NOTIFY (RFC 3461 §4.1 leaves the default to the MTA): failures
 * always, delays only when the sender's policy says so (`delayWithoutNotify`), success never.
 */
export function wantsDsn(
  dsn: RecipientDsn,
  event: NotifyEvent,
  policy: { delayWithoutNotify?: boolean } = {},
): boolean {
  if (dsn.notify === 'NEVER') return false;
  if (dsn.notify) return dsn.notify.includes(event);
  if (event === 'FAILURE') return true;
  if (event === 'DELAY') return policy.delayWithoutNotify === true;
  return false;
}
