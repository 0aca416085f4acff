import { isIP } from 'node:net';
import type { FilterRun } from '../registry.ts';
import { rfc5322Date } from '../rfc5322.ts';

/**
 * A value inside the trace header: control characters (CR, LF, NUL, …), the characters that
 * open or close a comment, a literal or an address (`( ) [ ] < > \`) and `;` (which starts the
 * date) are dropped, runs of white space become one space. The session is validated where it
 * is set (only the gateway may set it); this is the second line of defence for whatever a row
 * holds.
 */
export function traceSafe(value: string): string {
  return (
    value
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
      .replace(/[\x00-\x1f\x7f()[\]<>\\;]/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
  );
}

/** `ESMTP` + `S` (TLS) + `A` (AUTH), per RFC 3848, unless the session names its protocol. */
function protocolOf(session: { protocol?: string; tls?: unknown; auth?: unknown }): string {
  if (session.protocol && /^[A-Za-z0-9]{1,16}$/.test(session.protocol)) return session.protocol;
  return `ESMTP${session.tls ? 'S' : ''}${session.auth ? 'A' : ''}`;
}

/** The TCP-info of RFC 5321 §4.4: `[192.0.2.1]`, `[IPv6:2001:db8::1]`; nothing for a non-IP. */
function addressLiteral(ip: string | undefined): string | undefined {
  if (!ip) return undefined;
  const v = isIP(ip);
  if (v === 4) return `[${ip}]`;
  if (v === 6) return `[IPv6:${ip}]`;
  return undefined;
}

/**
 * Prepends an RFC 5321 §4.4 trace header built from the session the gateway reported:
 * `from <helo> (<rdns> <[ip]>) by <us> (Koukan) with <protocol> (<tls>) (authenticated as …)
 * id <id> for <rcpt>; <date>`.
 */
export const receivedHeader: FilterRun<'received_header'> = async (tx, config, ctx) => {
  if (!tx.body) return { kind: 'continue' };
  const s = tx.session;
  const by = traceSafe(config.hostname ?? ctx.hostname ?? 'localhost') || 'localhost';
  const helo =
    (s.helo && /^\[(?:IPv6:)?[0-9A-Fa-f:.]{2,45}\]$/.test(s.helo)
      ? s.helo
      : traceSafe(s.helo ?? '')) ||
    traceSafe(s.remote_host ?? '') ||
    'unknown';
  const tcpInfo = [s.remote_host ? traceSafe(s.remote_host) : '', addressLiteral(s.remote_ip)]
    .filter(Boolean)
    .join(' ');
  const lines = [
    `Received: from ${helo}${tcpInfo ? ` (${tcpInfo})` : ''}`,
    `\tby ${by} (Koukan) with ${protocolOf(s)}`,
  ];
  if (s.tls) {
    const tls = [s.tls.protocol, s.tls.cipher, s.tls.bits ? `${s.tls.bits} bits` : undefined]
      .filter((v) => v !== undefined && v !== '')
      .map((v) => traceSafe(String(v)))
      .filter(Boolean);
    lines.push(`\t(${tls.length ? tls.join(' ') : 'TLS'})`);
  }
  const user = s.auth ? traceSafe(s.auth.user) : '';
  if (user && config.include_auth) lines.push(`\t(authenticated as ${user})`);
  lines.push(`\tid ${traceSafe(tx.id) || 'unknown'}`);
  const only = tx.rcptTo.length === 1 ? traceSafe(tx.rcptTo[0]!.m) : '';
  if (only) lines.push(`\tfor <${only}>`);
  const last = lines.length - 1;
  lines[last] = `${lines[last]}; ${rfc5322Date(ctx.now?.() ?? new Date())}`;
  // one header field, folded over several lines
  tx.prependHeaders([lines.join('\r\n')]);
  return { kind: 'continue' };
};
