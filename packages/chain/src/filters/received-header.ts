import type { FilterRun } from '../registry.ts';
import { headerSafe, rfc5322Date } from '../rfc5322.ts';

/** `ESMTP` + `S` (TLS) + `A` (AUTH), per RFC 3848, unless the session names its protocol. */
function protocolOf(session: { protocol?: string; tls?: unknown; auth?: unknown }): string {
  if (session.protocol) return session.protocol;
  return `ESMTP${session.tls ? 'S' : ''}${session.auth ? 'A' : ''}`;
}

export const receivedHeader: FilterRun<'received_header'> = async (tx, config, ctx) => {
  if (!tx.body) return { kind: 'continue' };
  const s = tx.session;
  const by = config.hostname ?? ctx.hostname ?? 'localhost';
  const from = [
    `from ${headerSafe(s.helo ?? s.remote_host ?? 'unknown')}`,
    s.remote_ip ? ` (${s.remote_host ? `${headerSafe(s.remote_host)} ` : ''}[${s.remote_ip}])` : '',
  ].join('');
  const lines = [`Received: ${from}`, `\tby ${headerSafe(by)} (Koukan) with ${protocolOf(s)}`];
  if (s.tls) {
    const tls = [s.tls.protocol, s.tls.cipher, s.tls.bits ? `${s.tls.bits} bits` : undefined]
      .filter(Boolean)
      .map((v) => headerSafe(String(v)));
    lines.push(`\t(${tls.length ? tls.join(' ') : 'TLS'})`);
  }
  if (s.auth && config.include_auth) lines.push(`\t(authenticated as ${headerSafe(s.auth.user)})`);
  lines.push(`\tid ${headerSafe(tx.id)}`);
  const only = tx.rcptTo.length === 1 ? tx.rcptTo[0] : undefined;
  if (only) lines.push(`\tfor <${headerSafe(only.m)}>`);
  const last = lines.length - 1;
  lines[last] = `${lines[last]}; ${rfc5322Date(ctx.now?.() ?? new Date())}`;
  // one header field, folded over several lines
  tx.prependHeaders([lines.join('\r\n')]);
  return { kind: 'continue' };
};
