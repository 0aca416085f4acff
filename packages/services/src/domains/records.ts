import { createHash } from 'node:crypto';
import { canonicalJson } from '@koukan/db';
import { type DomainKey, type DomainSettings, domainSettingsSchema } from '@koukan/db/schema';
import { type KeyState, keyState } from './keys.ts';

export type RecordPurpose = 'dkim' | 'spf' | 'dmarc' | 'mta-sts' | 'tls-rpt';

/** One DNS record to publish, with the exact value expected. */
export interface DnsRecord {
  purpose: RecordPurpose;
  type: 'TXT';
  /** fully qualified, without the trailing dot */
  name: string;
  value: string;
  /** DKIM: the key's selector, algorithm and state */
  selector?: string;
  algorithm?: string;
  state?: KeyState;
  note?: string;
}

export interface MtaStsPolicy {
  url: string;
  body: string;
}

const dkimValue = (k: DomainKey) =>
  `v=DKIM1; k=${k.algorithm === 'ed25519-sha256' ? 'ed25519' : 'rsa'}; p=${k.publicKey}`;

function keyNote(state: KeyState, k: DomainKey): string | undefined {
  if (state === 'pending') return `publish now: it signs from ${k.activeFrom.toISOString()}`;
  if (state === 'retiring')
    return `replaced; keep it published until ${k.retireAt?.toISOString() ?? 'the next rotation'}`;
  if (state === 'retired') return 'retired: remove this record';
  return undefined;
}

/**
 * The records a domain needs at `now`: every key not yet retired (pending, active, retiring),
 * SPF, DMARC, and MTA-STS / TLS-RPT when set. Pure: the console and the CLI print the same.
 */
export function domainRecords(
  domain: { name: string; settings: DomainSettings; keys: DomainKey[] },
  now: Date,
): { records: DnsRecord[]; retired: DnsRecord[]; mtaStsPolicy?: MtaStsPolicy } {
  const s = domainSettingsSchema.parse(domain.settings);
  const d = domain.name;
  const records: DnsRecord[] = [];
  const retired: DnsRecord[] = [];
  for (const k of domain.keys) {
    const state = keyState(k, domain.keys, now);
    const note = keyNote(state, k);
    const r: DnsRecord = {
      purpose: 'dkim',
      type: 'TXT',
      name: `${k.selector}._domainkey.${d}`,
      value: dkimValue(k),
      selector: k.selector,
      algorithm: k.algorithm,
      state,
      ...(note && { note }),
    };
    (state === 'retired' ? retired : records).push(r);
  }
  const spf = s.spf ?? { mechanisms: ['mx'], all: '~all' };
  records.push({
    purpose: 'spf',
    type: 'TXT',
    name: d,
    value: ['v=spf1', ...spf.mechanisms, spf.all].join(' '),
    note: 'list every host that sends for the domain (Koukan’s gateway included)',
  });
  const dmarc = s.dmarc ?? { policy: 'none', rua: [] };
  records.push({
    purpose: 'dmarc',
    type: 'TXT',
    name: `_dmarc.${d}`,
    value: `v=DMARC1; p=${dmarc.policy}${dmarc.rua.length ? `; rua=${dmarc.rua.join(',')}` : ''}`,
  });
  let mtaStsPolicy: MtaStsPolicy | undefined;
  if (s.mta_sts) {
    const body = [
      'version: STSv1',
      `mode: ${s.mta_sts.mode}`,
      ...s.mta_sts.mx.map((mx) => `mx: ${mx}`),
      `max_age: ${s.mta_sts.max_age}`,
      '',
    ].join('\r\n');
    // the id changes exactly when the policy does (RFC 8461 §3.1: 1–32 alphanumerics)
    const id = createHash('sha256').update(canonicalJson(s.mta_sts)).digest('hex').slice(0, 20);
    records.push({
      purpose: 'mta-sts',
      type: 'TXT',
      name: `_mta-sts.${d}`,
      value: `v=STSv1; id=${id}`,
      note: `serve the policy at https://mta-sts.${d}/.well-known/mta-sts.txt`,
    });
    mtaStsPolicy = { url: `https://mta-sts.${d}/.well-known/mta-sts.txt`, body };
  }
  if (s.tls_rpt) {
    records.push({
      purpose: 'tls-rpt',
      type: 'TXT',
      name: `_smtp._tls.${d}`,
      value: `v=TLSRPTv1; rua=${s.tls_rpt.rua.join(',')}`,
    });
  }
  return { records, retired, ...(mtaStsPolicy && { mtaStsPolicy }) };
}

/** A zone-file line: TXT values split into character-strings of at most 255 octets. */
export function zoneLine(r: Pick<DnsRecord, 'name' | 'type' | 'value'>, ttl = 3600): string {
  const chunks = r.value.match(/.{1,255}/g) ?? [''];
  return `${r.name}. ${ttl} IN ${r.type} ${chunks.map((c) => `"${c.replace(/(["\\])/g, '\\$1')}"`).join(' ')}`;
}
