import { promises as dnsPromises } from 'node:dns';

/**
 * The DNS port, shaped like `dns.promises.resolve(name, rrtype)` (which is also what mailauth
 * takes): MX answers `{ exchange, priority }[]`, TXT answers `string[][]`, A/AAAA `string[]`.
 * Errors carry node's codes: `ENOTFOUND` (NXDOMAIN), `ENODATA`, `ESERVFAIL`, `ETIMEOUT`.
 */
// biome-ignore lint/suspicious/noExplicitAny: answers differ per rrtype, as in node:dns
export type DnsResolve = (name: string, rrtype: string) => Promise<any[]>;

export const systemResolver: DnsResolve = (name, rrtype) =>
  dnsPromises.resolve(name, rrtype) as Promise<unknown[]>;

export type MxRecord = { exchange: string; priority: number };

export type ZoneEntry = {
  MX?: MxRecord[];
  A?: string[];
  AAAA?: string[];
  /** each record is a list of character-strings, like node's resolveTxt */
  TXT?: string[][];
  /** answer every query for this name with this error code */
  error?: 'ESERVFAIL' | 'ETIMEOUT' | 'ENOTFOUND' | 'EREFUSED';
};

export class DnsError extends Error {
  constructor(
    readonly code: string,
    name: string,
    rrtype: string,
  ) {
    super(`query${rrtype} ${code} ${name}`);
    this.name = 'DnsError';
  }
}

/**
 * A resolver over a fixed zone (a stub for tests and closed networks): names absent from the
 * zone are NXDOMAIN, names without the asked type are NODATA.
 */
export function zoneResolver(zone: Record<string, ZoneEntry>): DnsResolve {
  const lower = new Map(
    Object.entries(zone).map(([k, v]) => [k.toLowerCase().replace(/\.$/, ''), v]),
  );
  return async (name, rrtype) => {
    const entry = lower.get(name.toLowerCase().replace(/\.$/, ''));
    if (!entry) throw new DnsError('ENOTFOUND', name, rrtype);
    if (entry.error) throw new DnsError(entry.error, name, rrtype);
    const answer = entry[rrtype as 'MX' | 'A' | 'AAAA' | 'TXT'];
    if (!answer || answer.length === 0) throw new DnsError('ENODATA', name, rrtype);
    return answer;
  };
}
