import { BlockList, isIP } from 'node:net';
import { remoteHostSchema } from '@koukan/protocol/schemas';
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
const lookupFailed = (domain: string, code: string): Lookup => ({
  fail: temp(`DNS lookup for ${domain} failed (${code})`, 451, '4.4.3'),
  reason: code,
});

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

/** Addresses that are no public next hop (RFC 6890 special-purpose, loopback, private, …). */
const NOT_PUBLIC = (() => {
  const b = new BlockList();
  for (const [net, bits] of [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ] as const) {
    b.addSubnet(net, bits, 'ipv4');
  }
  for (const [net, bits] of [
    ['::', 127], // :: and ::1
    ['fc00::', 7],
    ['fe80::', 10],
    ['ff00::', 8],
  ] as const) {
    b.addSubnet(net, bits, 'ipv6');
  }
  return b;
})();

/** Whether `ip` is loopback, private, link-local or otherwise not a public next hop. */
export function isNonPublicAddress(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) return NOT_PUBLIC.check(ip, 'ipv4');
  if (v !== 6) return false;
  const mapped =
    /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip) ?? /^64:ff9b::(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return NOT_PUBLIC.check(mapped[1]!, 'ipv4');
  return NOT_PUBLIC.check(ip, 'ipv6');
}

/**
 * Drops the hosts an MX answer names whose addresses (A, AAAA, or an IP literal as the
 * exchange) include a non-public one; a host whose addresses cannot be read is kept (the
 * gateway's connection fails on its own).
 */
async function publicHostsOnly(
  dns: DnsResolve,
  hosts: NextHop[],
): Promise<{ hosts: NextHop[]; refused: string[] }> {
  const verdicts = await Promise.all(
    hosts.map(async (h) => {
      if (isIP(h.host)) return isNonPublicAddress(h.host);
      const answers = await Promise.allSettled([dns(h.host, 'A'), dns(h.host, 'AAAA')]);
      return answers.some(
        (a) =>
          a.status === 'fulfilled' &&
          (a.value as unknown[]).some((ip) => typeof ip === 'string' && isNonPublicAddress(ip)),
      );
    }),
  );
  return {
    hosts: hosts.filter((_, i) => !verdicts[i]),
    refused: hosts.filter((_, i) => verdicts[i]).map((h) => h.host),
  };
}

/** The hosts the gateway's outbound API takes: a name from a hostile or broken DNS answer is not. */
function usable(domain: string, hosts: NextHop[]): Lookup {
  const ok = hosts.filter((h) => remoteHostSchema.safeParse(h).success);
  if (ok.length > 0) return { hosts: ok };
  const fail = perm(`the mail servers of ${domain} have no usable host name`, 554, '5.4.4');
  return { fail, reason: 'bad_next_hop' };
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
    if (!isNoData(code)) return lookupFailed(domain, code);
  }
  if (mx && mx.length > 0) {
    if (mx.some((r) => r.exchange === '' || r.exchange === '.')) {
      return {
        fail: perm(`domain ${domain} does not accept mail (null MX)`, 556, '5.1.10'),
        reason: 'null_mx',
      };
    }
    const sorted = [...mx].sort((a, b) => a.priority - b.priority);
    return usable(
      domain,
      sorted.map((r) => ({ host: r.exchange.replace(/\.$/, ''), port })),
    );
  }
  // implicit MX: the domain itself, if it has an address
  const a = await addresses(dns, domain);
  if (a.found) return usable(domain, [{ host: domain, port }]);
  if (a.error && !isNxDomain(a.error)) return lookupFailed(domain, a.error);
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
    lookup = { hosts: fixed.map((h) => parseHostPort(h, config.port)) };
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
    const resolve = async (): Promise<Lookup> => {
      const found = await resolveNextHops(dns, domain, config.port);
      if ('fail' in found || config.allow_private_next_hops) return found;
      const checked = await publicHostsOnly(dns, found.hosts);
      if (checked.refused.length) tx.event('next_hop_refused', { domain, hosts: checked.refused });
      if (checked.hosts.length > 0) return { hosts: checked.hosts };
      return {
        fail: perm(
          `the mail servers of ${domain} are at loopback, private or link-local addresses`,
          554,
          '5.4.4',
        ),
        reason: 'non_public_next_hop',
      };
    };
    lookup = await Promise.race([resolve(), timeout]).finally(() => clearTimeout(timer));
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
