import { isIP } from 'node:net';
import { dsnParamProblem } from '@koukan/services/dsn-params';
import { isDomainName, isHeloName } from '@koukan/services/session';
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import {
  type Mailbox,
  RouterError,
  replyText,
  type SmtpReply,
  type SmtpSession,
} from '../router-client.ts';

/**
 * The SMTP listener's decisions as pure functions: what the hooks in router-bridge.ts and connections.ts answer, with
 * nothing of the socket or the router in them (one unit test per rule, policy.test.ts).
 */

/** An SMTP reply to give instead of the default; `message` starts with the enhanced code. */
export interface Refusal {
  code: number;
  message: string;
}

const ENHANCED = /^[245]\.\d{1,3}\.\d{1,3}(?:\s|$)/;

/** MAIL FROM / RCPT TO as the router's mailbox: the address and its ESMTP parameters verbatim. */
export function toMailbox(address: SMTPServerAddress): Mailbox {
  const e = Object.entries(address.args || {}).map(([k, v]) =>
    v === true ? { k } : { k, p: String(v) },
  );
  return e.length ? { m: address.address, e } : { m: address.address };
}

/** The session facts the router's filters need (client address, HELO, TLS, AUTH identity). */
export function sessionInfo(
  listener: string,
  session: SMTPServerSession,
  authUser: string | undefined,
): SmtpSession {
  const tls = session.tlsOptions;
  return {
    listener,
    remote_ip: session.remoteAddress,
    remote_port: session.remotePort,
    helo: session.hostNameAppearsAs || '',
    protocol: session.transmissionType,
    tls: tls ? { protocol: tls.version, cipher: tls.name } : null,
    ...(authUser && { auth_user: authUser }),
  };
}

const TOKEN = /^[\x21-\x7e]{1,128}$/;

/**
 * The same facts in the shape the router stores for its filters (`session` of a create, sent
 * only with the listener's gateway key). The router validates them strictly (an IP literal,
 * HELO a domain or an address literal, tokens without spaces or control characters), so a fact
 * that would not pass — a HELO such as `my pc`, smtp-server's `[ip]` stand-in for an unknown
 * host name — is left out rather than refused: the client's mail must not fail for it.
 */
export function routerSession(
  session: SMTPServerSession,
  auth: { user: string; method?: string } | undefined,
) {
  const tls = session.tlsOptions;
  const ip = session.remoteAddress;
  const host = session.clientHostname;
  const helo = session.hostNameAppearsAs;
  const protocol = session.transmissionType;
  const tlsFacts = tls && {
    ...(tls.version && TOKEN.test(tls.version) && { protocol: tls.version }),
    ...(tls.name && TOKEN.test(tls.name) && { cipher: tls.name }),
  };
  return {
    ...(ip && isIP(ip) && { remote_ip: ip }),
    ...(host && isDomainName(host) && { remote_host: host }),
    ...(helo && isHeloName(helo) && { helo }),
    ...(protocol && /^[A-Za-z0-9]{1,16}$/.test(protocol) && { protocol }),
    ...(tlsFacts && { tls: tlsFacts }),
    ...(auth &&
      TOKEN.test(auth.user) && {
        auth: {
          user: auth.user,
          ...(auth.method && TOKEN.test(auth.method) && { method: auth.method }),
        },
      }),
  };
}

/** A router response as the SMTP reply: undefined to accept, a refusal otherwise. */
export function replyFromRouter(reply: SmtpReply): Refusal | undefined {
  const code = Number.isInteger(reply.code) ? reply.code : 0;
  if (code >= 200 && code < 300) return undefined;
  if (code < 400 || code > 599) {
    return { code: 451, message: '4.3.0 Unexpected response from the router' };
  }
  const text = oneLine(replyText(reply));
  if (reply.enhanced || ENHANCED.test(text)) return { code, message: text };
  return { code, message: `${code < 500 ? '4' : '5'}.0.0 ${text}`.trim() };
}

export type Stage = 'auth' | 'mail' | 'rcpt' | 'data';

export const temporaryFailure: Refusal = {
  code: 451,
  message: '4.3.0 Temporary failure, try again later',
};

/** A router that failed or did not answer (or any other error): never a false 250, mostly 451. */
export function replyFromRouterError(err: unknown, stage: Stage): Refusal {
  if (!(err instanceof RouterError)) return temporaryFailure;
  if (err.kind === 'timeout') {
    return { code: 451, message: '4.4.7 The router did not answer in time, try again later' };
  }
  if (err.kind === 'denied') {
    if (stage === 'auth') return { code: 535, message: '5.7.8 Authentication credentials invalid' };
    // the listener's own key or an expired one: the operator's problem, not the client's
    return { code: 451, message: '4.7.1 Not authorised by the router, try again later' };
  }
  if (err.kind === 'rejected' && err.status === 413) {
    return { code: 552, message: '5.3.4 Message too big for the router' };
  }
  if (err.kind === 'rejected' && (err.status === 400 || err.status === 422)) {
    return { code: 501, message: `5.5.4 ${stage === 'rcpt' ? 'Recipient' : 'Command'} refused` };
  }
  if (stage === 'auth') {
    return { code: 454, message: '4.7.0 Temporary authentication failure' };
  }
  return temporaryFailure;
}

/**
 * A later recipient the router refuses to add (422: e.g. a sender whose chain takes one
 * recipient per transaction): RFC 5321 §4.5.3.1.10 — the client sends it again in another
 * transaction, so nothing is lost.
 */
export function tooManyRecipients(): Refusal {
  return { code: 452, message: '4.5.3 Too many recipients, send the rest in another transaction' };
}

export const MAX_AUTH_FAILURES = 3;

/**
 * A refused AUTH; the third on one connection ends it (smtp-server does not count AUTH), and so
 * does the one that uses up the client address's budget (`lockedOut`).
 */
export function authFailure(failures: number, lockedOut = false): Refusal {
  return failures >= MAX_AUTH_FAILURES || lockedOut
    ? { code: 421, message: '4.7.0 Too many authentication failures, closing connection' }
    : { code: 535, message: '5.7.8 Authentication credentials invalid' };
}

/** Any AUTH from an address that used up its failure budget, until the lock-out ends. */
export function authLockedOut(): Refusal {
  return {
    code: 421,
    message: '4.7.0 Too many authentication failures from your address, try again later',
  };
}

/** A sender whose key is right but that cannot take SMTP submission (told at AUTH). */
export function submissionRefusal(sender: string, reason: string): Refusal {
  return {
    code: 550,
    message: `5.7.1 Sender "${oneLine(sender)}" cannot submit by SMTP: ${oneLine(reason)}`,
  };
}

/** The sender needs the MSA's own gateway key, which this gateway was not given. */
export function submissionNotConfigured(sender: string): Refusal {
  return {
    code: 454,
    message: `4.3.5 SMTP submission for sender "${oneLine(sender)}" is not configured on this gateway`,
  };
}

/**
 * RFC 6531 §3.4: a non-ASCII address is only allowed in a transaction whose MAIL said
 * SMTPUTF8 (smtp-server lets it through either way).
 */
export function utf8Refusal(address: string, smtputf8: boolean): Refusal | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII is the point
  if (smtputf8 || /^[\x00-\x7f]*$/.test(address)) return undefined;
  return { code: 553, message: '5.6.7 Non-ASCII address without SMTPUTF8' };
}

/** Whether MAIL's parameters (smtp-server's `args`, `false` when none) include SMTPUTF8. */
export function saidSmtpUtf8(args: unknown): boolean {
  return (
    typeof args === 'object' && args !== null && Boolean((args as { SMTPUTF8?: unknown }).SMTPUTF8)
  );
}

/**
 * RFC 3461 parameters of MAIL (RET, ENVID) or RCPT (NOTIFY, ORCPT), as smtp-server parsed them
 * (keywords upper-cased, xtext decoded): a bad value, or one on the wrong command, is
 * `501 5.5.4` naming the parameter. smtp-server already refuses duplicates and some values.
 */
export function dsnRefusal(command: 'mail' | 'rcpt', args: unknown): Refusal | undefined {
  if (typeof args !== 'object' || args === null) return undefined;
  for (const [k, v] of Object.entries(args as Record<string, unknown>)) {
    const problem = dsnParamProblem(command, k, typeof v === 'string' ? v : undefined);
    if (problem) return { code: 501, message: `5.5.4 ${oneLine(problem)}` };
  }
  return undefined;
}

/** MAIL past the per-connection bound (issue 10 item 9). */
export function tooManyTransactions(): Refusal {
  return { code: 421, message: '4.7.0 Too many transactions on one connection, closing' };
}

/** MAIL on a submission listener needs AUTH first (AUTH itself is only offered under TLS). */
export function mailRefusal(kind: 'mx' | 'msa', authenticated: boolean): Refusal | undefined {
  if (kind === 'msa' && !authenticated) {
    return { code: 530, message: '5.7.0 Authentication required' };
  }
  return undefined;
}

/** Commands a connection may not use: AUTH never on MX, and on MSA only once under TLS. */
export function disabledCommands(kind: 'mx' | 'msa', secure: boolean): string[] {
  if (kind === 'mx') return ['AUTH'];
  return secure ? [] : ['AUTH'];
}

/** Per-client connection cap; `current` counts the connections of that address already open. */
export function connectRefusal(current: number, perClientLimit: number): Refusal | undefined {
  if (current >= perClientLimit) {
    return { code: 421, message: '4.7.0 Too many connections from your address, try again later' };
  }
  return undefined;
}

/** The message of an SMTP reply never carries line breaks or control characters. */
export function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
}
