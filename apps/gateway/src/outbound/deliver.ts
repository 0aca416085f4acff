import type { Logger } from 'pino';
import type { Mailbox, SmtpReply } from '../router-client.ts';
import type { OutboundBody } from './body.ts';
import type { ConnectionPool } from './pool.ts';
import { parseReply, type SendEnvelope, type SendResult } from './upstream.ts';

export interface RemoteHost {
  host: string;
  port: number;
}

export interface OutboundEnvelope {
  mail_from: Mailbox;
  rcpt_to: Mailbox[];
  remote_hosts: RemoteHost[];
  lmtp: boolean;
}

/** What the router gets back: the upstream's replies verbatim, aligned with rcpt_to. */
export interface DeliveryResult {
  mail_response: SmtpReply | null;
  rcpt_response: (SmtpReply | null)[];
  data_response: SmtpReply | null;
  /**
   * LMTP only: the final reply of each recipient (null where RCPT was refused), verbatim. A
   * refusal here is also copied into rcpt_response (see mapReplies).
   */
  rcpt_data_response?: (SmtpReply | null)[];
  /** `host:port` that decided the outcome. */
  upstream?: string;
  /** Every host tried, with the reply that made the gateway move on. */
  attempts: { host: string; port: number; reply: SmtpReply }[];
}

const is2xx = (r: SmtpReply | null | undefined) => !!r && r.code >= 200 && r.code < 300;
const isTemp = (r: SmtpReply | null | undefined) => !r || (r.code >= 400 && r.code < 500);

/**
 * The upstream envelope from the router's mailboxes (the ESMTP params it carries). The body has
 * not arrived when MAIL is sent, so it cannot be scanned for 8-bit bytes: BODY=8BITMIME is
 * declared to every peer that offers it (RFC 6152 allows it for 7-bit content) unless the
 * sender said BODY=7BIT. SIZE is declared when the router sent a Content-Length.
 */
export function toSendEnvelope(env: OutboundEnvelope, size: number | undefined): SendEnvelope {
  const param = (m: Mailbox, k: string) => m.e?.find((e) => e.k.toUpperCase() === k)?.p;
  const notifies = new Set(env.rcpt_to.map((r) => param(r, 'NOTIFY') ?? ''));
  const notify = notifies.size === 1 ? [...notifies][0] : undefined;
  const ret = param(env.mail_from, 'RET');
  const envid = param(env.mail_from, 'ENVID');
  const orcpt = env.rcpt_to.length === 1 ? param(env.rcpt_to[0]!, 'ORCPT') : undefined;
  const dsn =
    ret || envid || notify || orcpt
      ? {
          ...(ret && { ret }),
          ...(envid && { envid }),
          ...(notify && { notify: notify.split(',') }),
          ...(orcpt && { orcpt }),
        }
      : undefined;
  return {
    from: env.mail_from.m,
    to: env.rcpt_to.map((r) => r.m),
    ...(size !== undefined && { size }),
    use8BitMime: param(env.mail_from, 'BODY')?.toUpperCase() !== '7BIT',
    ...(dsn && { dsn }),
  };
}

const NON_ASCII = /[^\p{ASCII}]/u;
const nonAscii = (s: string) => NON_ASCII.test(s);

/** A non-ASCII address, or the client asked for SMTPUTF8. */
export function needsSmtpUtf8(env: OutboundEnvelope): boolean {
  return (
    nonAscii(env.mail_from.m) ||
    env.rcpt_to.some((r) => nonAscii(r.m)) ||
    Boolean(env.mail_from.e?.some((e) => e.k.toUpperCase() === 'SMTPUTF8'))
  );
}

/**
 * The replies of one transaction (MAIL, each RCPT, DATA, the final dot — one per accepted
 * recipient for LMTP) as the router's responses. A reply that never came (the connection
 * dropped) is a temporary failure.
 */
export function mapReplies(sent: SendResult, rcptCount: number, lmtp: boolean): DeliveryResult {
  const { replies, error } = sent;
  const lost: SmtpReply = {
    code: 451,
    enhanced: '4.4.2',
    message: `Upstream connection lost${error ? `: ${error.message}` : ''}`,
  };
  const result: DeliveryResult = {
    mail_response: null,
    rcpt_response: Array.from({ length: rcptCount }, () => null),
    data_response: null,
    attempts: [],
  };
  if (replies.length === 0) {
    result.mail_response =
      error?.code === 'EENVELOPE'
        ? { code: 553, enhanced: '5.6.7', message: error.message }
        : error?.code === 'EMESSAGE'
          ? { code: 552, enhanced: '5.3.4', message: error.message }
          : lost;
    return result;
  }
  result.mail_response = replies[0]!;
  if (!is2xx(result.mail_response)) return result;
  result.rcpt_response = result.rcpt_response.map((_, i) => replies[1 + i] ?? lost);
  const accepted = result.rcpt_response.flatMap((r, i) => (is2xx(r) ? [i] : []));
  if (accepted.length === 0) return result;
  const dataCommand = replies[1 + rcptCount] ?? lost;
  if (dataCommand.code !== 354) {
    result.data_response = dataCommand;
    return result;
  }
  const finals = replies.slice(2 + rcptCount);
  if (!lmtp) {
    result.data_response = finals[0] ?? lost;
    return result;
  }
  const perRcpt: (SmtpReply | null)[] = result.rcpt_response.map(() => null);
  accepted.forEach((rcpt, k) => {
    perRcpt[rcpt] = finals[k] ?? lost;
  });
  result.rcpt_data_response = perRcpt;
  // The router's rest_output gives every recipient whose RCPT was accepted the data_response,
  // so a recipient the LMTP server refused at the end of DATA reports that refusal as its
  // rcpt_response, and data_response is a success when any recipient got one.
  for (const i of accepted) {
    if (!is2xx(perRcpt[i])) result.rcpt_response[i] = perRcpt[i]!;
  }
  const replied = accepted.map((i) => perRcpt[i]!);
  result.data_response = replied.find(is2xx) ?? replied[0] ?? lost;
  return result;
}

/**
 * Delivers to the next hops in order: the next host on a connection failure or a temporary
 * failure at connect or MAIL; the first host that takes MAIL decides the outcome. The body is
 * streamed from the router into the upstream's DATA; a host is only left for the next one
 * before any body byte was read (see OutboundBody), so a failure during DATA is reported as it
 * is and the router retries the whole transaction later.
 */
export async function deliver(
  env: OutboundEnvelope,
  body: OutboundBody,
  pool: ConnectionPool,
  logger: Logger,
): Promise<DeliveryResult> {
  const attempts: DeliveryResult['attempts'] = [];
  const envelope = toSendEnvelope(env, body.size);
  for (const hop of env.remote_hosts) {
    const destination = { host: hop.host, port: hop.port, lmtp: env.lmtp };
    let acquired: Awaited<ReturnType<ConnectionPool['acquire']>>;
    try {
      acquired = await pool.acquire(destination);
    } catch (err) {
      const e = err as Error & { responseCode?: number; response?: string; code?: string };
      const reply: SmtpReply =
        e.responseCode && e.response
          ? { ...parseReply(e.response), code: e.responseCode }
          : { code: 451, enhanced: '4.4.1', message: `${hop.host}:${hop.port}: ${e.message}` };
      attempts.push({ ...hop, reply });
      logger.info({ host: hop.host, port: hop.port, code: reply.code }, 'connect failed');
      if (!isTemp(reply)) return { ...emptyResult(env, reply), attempts };
      continue;
    }
    let { conn, reused } = acquired;
    if (needsSmtpUtf8(env) && !conn.offers('SMTPUTF8')) {
      // RFC 6531 §3.7.5: no downgrade of an internationalised address
      pool.release(conn, true);
      const reply = {
        code: 553,
        enhanced: '5.6.7',
        message: 'The next hop does not offer SMTPUTF8',
      };
      return { ...emptyResult(env, reply), upstream: `${hop.host}:${hop.port}`, attempts };
    }
    let sent = await conn.send(envelope, body.forAttempt());
    if (reused && sent.replies.length === 0 && !body.consumed && sent.error?.code !== 'EENVELOPE') {
      // the peer closed the idle connection meanwhile: once more on a fresh one
      pool.release(conn, false);
      try {
        ({ conn, reused } = await pool.acquire(destination));
      } catch (err) {
        attempts.push({
          ...hop,
          reply: { code: 451, enhanced: '4.4.1', message: (err as Error).message },
        });
        continue;
      }
      sent = await conn.send(envelope, body.forAttempt());
    }
    const result = mapReplies(sent, env.rcpt_to.length, env.lmtp);
    // The body failed mid-DATA (ESTREAM): the message is unfinished, the connection unusable.
    const midData = sent.error?.code === 'ESTREAM';
    if (midData) {
      conn.destroy();
      if (body.failure) result.data_response = body.failure.reply;
    }
    const protocolOk = !sent.error || sent.replies.length > 0;
    const healthy = protocolOk && !midData && conn.usable && (!sent.error || (await conn.reset()));
    pool.release(conn, healthy);
    logger.info(
      {
        host: hop.host,
        port: hop.port,
        reused,
        mail: result.mail_response?.code,
        data: result.data_response?.code,
        bytes: body.bytes,
        ...(body.failure && { body: body.failure.reason }),
      },
      'upstream transaction',
    );
    if (isTemp(result.mail_response) && !body.consumed) {
      attempts.push({
        ...hop,
        reply: result.mail_response ?? { code: 451, enhanced: '4.4.2', message: '' },
      });
      continue;
    }
    return { ...result, upstream: `${hop.host}:${hop.port}`, attempts };
  }
  const last = attempts.at(-1)?.reply ?? {
    code: 451,
    enhanced: '4.4.4',
    message: 'No next hop to try',
  };
  return { ...emptyResult(env, last), attempts };
}

function emptyResult(env: OutboundEnvelope, mail: SmtpReply): Omit<DeliveryResult, 'attempts'> {
  return {
    mail_response: mail,
    rcpt_response: env.rcpt_to.map(() => null),
    data_response: null,
  };
}
