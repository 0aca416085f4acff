import { type DnsResolve, systemResolver } from '@koukan/chain';
import { nowOf, type ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';
import type { DnsRecord } from './records.ts';
import { domainNameInputSchema } from './schemas.ts';
import { domainView, requireDomain } from './view.ts';

export type RecordStatus = 'found' | 'missing' | 'different' | 'error';

export interface RecordCheck extends DnsRecord {
  status: RecordStatus;
  /** the values published at that name for the same purpose (TXT strings joined) */
  found: string[];
  /** a lookup failure (SERVFAIL, timeout) */
  error?: string;
}

export interface DomainCheck {
  name: string;
  checked_at: string;
  /** every record found as expected */
  ok: boolean;
  records: RecordCheck[];
}

/** `k=v; k=v` → tags (names lower-case, whitespace dropped: it may fold long `p=` values). */
function tags(value: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of value.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    m.set(part.slice(0, i).trim().toLowerCase(), part.slice(i + 1).replace(/\s+/g, ''));
  }
  return m;
}

const sameTags = (a: string, b: string) => {
  const x = tags(a);
  const y = tags(b);
  return x.size === y.size && [...x].every(([k, v]) => y.get(k) === v);
};
const sameSpf = (a: string, b: string) =>
  a.trim().replace(/\s+/g, ' ').toLowerCase() === b.trim().replace(/\s+/g, ' ').toLowerCase();

/** Which TXT strings at the name are records of this kind (others, e.g. a site verification,
 * are ignored). */
const ofPurpose: Record<DnsRecord['purpose'], (v: string) => boolean> = {
  dkim: (v) => /^\s*v\s*=\s*DKIM1\b/i.test(v) || /(^|;)\s*p\s*=/.test(v),
  spf: (v) => /^\s*v=spf1(\s|$)/i.test(v),
  dmarc: (v) => /^\s*v\s*=\s*DMARC1\b/i.test(v),
  'mta-sts': (v) => /^\s*v\s*=\s*STSv1\b/i.test(v),
  'tls-rpt': (v) => /^\s*v\s*=\s*TLSRPTv1\b/i.test(v),
};

async function checkRecord(dns: DnsResolve, r: DnsRecord): Promise<RecordCheck> {
  let answers: string[][];
  try {
    answers = (await dns(r.name, 'TXT')) as string[][];
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') return { ...r, status: 'missing', found: [] };
    return {
      ...r,
      status: 'error',
      found: [],
      error: `${code ?? 'error'}: ${(err as Error).message}`,
    };
  }
  const found = answers.map((chunks) => chunks.join('')).filter(ofPurpose[r.purpose]);
  if (found.length === 0) return { ...r, status: 'missing', found };
  const same = r.purpose === 'spf' ? sameSpf : sameTags;
  return { ...r, status: found.some((f) => same(f, r.value)) ? 'found' : 'different', found };
}

/**
 * Looks up every record the domain needs and says, per record, found / missing / different
 * (with the exact value expected and what is published), or `error` when DNS did not answer.
 * The resolver is the context's (`ctx.dns`), else the system's.
 */
export async function checkDomain({
  ctx,
  input,
}: ServiceCall<{ name: string }>): Promise<DomainCheck> {
  const { name } = parseInput(domainNameInputSchema, input);
  const d = await requireDomain(ctx.db, name);
  const now = nowOf(ctx);
  const view = domainView(d, now);
  const dns = ctx.dns ?? systemResolver;
  const records = await Promise.all(view.records.map((r) => checkRecord(dns, r)));
  return {
    name,
    checked_at: now.toISOString(),
    ok: records.every((r) => r.status === 'found'),
    records,
  };
}
