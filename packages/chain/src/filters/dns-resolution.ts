import { type DnsResolve, type MxRecord, systemResolver } from '../dns.ts';
import type { FilterRun } from '../registry.ts';
import { perm, temp } from '../responses.ts';
import { domainOf } from '../rfc5322.ts';
import { parseHostPort } from '../schema-common.ts';
import type { NextHop, Verdict } from '../types.ts';

type Lookup = { hosts: NextHop[] } | { fail: Verdict; reason: string };

const codeOf = (err: unknown) => (err as { code?: string } | undefined)?.code ?? 'EUNKNOWN';
const isNoData = (code: string) => code === 'ENODATA';
const isNxDomain = (code: string) => code === 'ENOTFOUND';

async function addresses(
  dns: DnsResolve,
  name: string,
): Promise<{ found: boolean; error?: string }> {
  const results = await Promise.allSettled([dns(name, 'A'), dns(name, 'AAAA')]);
  let found = false;
  const errors: string[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') found ||= r.value.length > 0;
    else errors.push(codeOf(r.reason));
  }
  if (found) return { found };
  const hard = errors.find((c) => !isNoData(c) && !isNxDomain(c));
  return hard
    ? { found, error: hard }
    : { found, ...(errors.some(isNxDomain) ? { error: 'ENOTFOUND' } : {}) };
}

/** MX lookup with RFC 5321 §5.1 implicit MX and RFC 7505 null MX. */
export async function resolveNextHops(
  dns: DnsResolve,
  domain: string,
  port: number,
): Promise<Lookup> {
  let mx: MxRecord[] | undefined;
  try {
    mx = (await dns(domain, 'MX')) as MxRecord[];
  } catch (err) {
    const code = codeOf(err);
    if (isNxDomain(code))
      return { fail: perm(`domain ${domain} does not exist`, 550, '5.1.2'), reason: 'nxdomain' };
    if (!isNoData(code))
      return {
        fail: temp(`DNS lookup for ${domain} failed (${code})`, 451, '4.4.3'),
        reason: code,
      };
  }
  if (mx && mx.length > 0) {
    if (mx.some((r) => r.exchange === '' || r.exchange === '.')) {
      return {
        fail: perm(`domain ${domain} does not accept mail (null MX)`, 556, '5.1.10'),
        reason: 'null_mx',
      };
    }
    const sorted = [...mx].sort((a, b) => a.priority - b.priority);
    return { hosts: sorted.map((r) => ({ host: r.exchange.replace(/\.$/, ''), port })) };
  }
  // implicit MX: the domain itself, if it has an address
  const a = await addresses(dns, domain);
  if (a.found) return { hosts: [{ host: domain, port }] };
  if (a.error && !isNxDomain(a.error)) {
    return {
      fail: temp(`DNS lookup for ${domain} failed (${a.error})`, 451, '4.4.3'),
      reason: a.error,
    };
  }
  return { fail: perm(`domain ${domain} has no mail server`, 550, '5.1.2'), reason: 'no_address' };
}

export const dnsResolution: FilterRun<'dns_resolution'> = async (tx, config, ctx) => {
  if (tx.routing.remote_hosts?.length) return { kind: 'continue' };
  const domain = tx.routing.destination_domain ?? domainOf(tx.rcptTo[0]?.m ?? '');
  // one next hop per transaction: recipients of another domain are deferred (the router's
  // callers submit one recipient per transaction, so this is the exception)
  const others = tx.rcptTo.map((r) =>
    domainOf(r.m) === domain
      ? undefined
      : temp('one destination domain per transaction', 451, '4.3.0'),
  );
  const fixed = config.static_hosts[domain];
  let lookup: Lookup;
  if (fixed) {
    lookup = { hosts: fixed.map((h) => parseHostPort(h, config.port) as NextHop) };
  } else {
    const dns = ctx.dns ?? systemResolver;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Lookup>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            fail: temp(`DNS lookup for ${domain} timed out`, 451, '4.4.3'),
            reason: 'ETIMEOUT',
          }),
        config.lookup_timeout * 1000,
      );
    });
    lookup = await Promise.race([resolveNextHops(dns, domain, config.port), timeout]).finally(() =>
      clearTimeout(timer),
    );
  }
  if ('fail' in lookup) {
    tx.event('dns_failed', { domain, reason: lookup.reason });
    return { kind: 'done', data: lookup.fail };
  }
  const hosts = lookup.hosts.slice(0, config.max_hosts);
  tx.setRouting({ remote_hosts: hosts });
  tx.event('dns_resolved', {
    domain,
    hosts: hosts.map((h) => `${h.host}:${h.port ?? config.port}`),
  });
  return { kind: 'continue', rcpt: others };
};
