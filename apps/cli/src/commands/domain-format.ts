import { type DnsRecord, type DomainCheck, type DomainView, zoneLine } from '@koukan/services';

const label: Record<DnsRecord['purpose'], string> = {
  dkim: 'DKIM',
  spf: 'SPF',
  dmarc: 'DMARC',
  'mta-sts': 'MTA-STS',
  'tls-rpt': 'TLS-RPT',
};

function comment(r: DnsRecord): string {
  const what =
    r.purpose === 'dkim'
      ? `DKIM ${r.algorithm === 'ed25519-sha256' ? 'Ed25519' : 'RSA-2048'}, selector ${r.selector}, ${r.state}`
      : label[r.purpose];
  return `; ${what}${r.note ? ` — ${r.note}` : ''}`;
}

/** The records to publish, as zone-file lines with a comment each. */
export function formatRecords(view: DomainView): string {
  const lines = view.records.flatMap((r) => [comment(r), zoneLine(r)]);
  if (view.mta_sts_policy) {
    lines.push('', `; MTA-STS policy, served at ${view.mta_sts_policy.url}:`);
    lines.push(
      ...view.mta_sts_policy.body
        .trimEnd()
        .split(/\r?\n/)
        .map((l) => `;   ${l}`),
    );
  }
  if (view.retired_records.length > 0) {
    lines.push('', '; retired keys: remove these records');
    lines.push(...view.retired_records.map((r) => `; ${zoneLine(r)}`));
  }
  return `${lines.join('\n')}\n`;
}

export function formatDomain(view: DomainView): string {
  const keys = view.keys.map(
    (k) =>
      `  ${k.selector.padEnd(8)} ${k.algorithm.padEnd(15)} ${k.state.padEnd(9)} from ${k.active_from}` +
      `${k.retire_at ? `  retire ${k.retire_at}` : ''}  secret ${k.secret}`,
  );
  return `${view.name}\nkeys:\n${keys.join('\n')}\n\nrecords to publish:\n${formatRecords(view)}`;
}

export function formatCheck(check: DomainCheck): string {
  const lines = check.records.map((r) => {
    const head = `${r.status.toUpperCase().padEnd(9)} ${label[r.purpose].padEnd(7)} ${r.name} TXT`;
    if (r.status === 'found') return head;
    const detail = [`          expected: ${r.value}`];
    for (const f of r.found) detail.push(`          published: ${f}`);
    if (r.error) detail.push(`          ${r.error}`);
    return [head, ...detail].join('\n');
  });
  const summary = check.ok
    ? 'every record is published as expected'
    : `${check.records.filter((r) => r.status !== 'found').length} record(s) to fix`;
  return `${lines.join('\n')}\n${check.name}: ${summary}\n`;
}
