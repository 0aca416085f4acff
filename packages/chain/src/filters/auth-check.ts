import { authenticate } from 'mailauth';
import { systemResolver } from '../dns.ts';
import type { FilterRun } from '../registry.ts';
import type { AuthResults } from '../types.ts';

/**
 * SPF, DKIM, DMARC and ARC with mailauth. Prepends `Authentication-Results:` (and
 * `Received-SPF:`) and exposes the results to later filters (`policy` can match on them).
 */
export const authCheck: FilterRun<'auth_check'> = async (tx, config, ctx) => {
  if (!tx.body) return { kind: 'continue' };
  const s = tx.session;
  const mta = config.authserv_id ?? ctx.hostname ?? 'localhost';
  const sealCfg = config.arc_seal;
  const sealKey = sealCfg ? await ctx.secrets?.get(sealCfg.private_key_ref) : undefined;
  if (sealCfg && !sealKey)
    tx.event('arc_key_unavailable', { key: `${sealCfg.selector}._domainkey.${sealCfg.domain}` });
  const res = await authenticate(tx.openBody(), {
    ...(s.remote_ip ? { ip: s.remote_ip } : {}),
    ...(s.helo ? { helo: s.helo } : {}),
    // RFC 7208 §2.4: for the null reverse-path SPF checks postmaster@<HELO>
    ...(tx.mailFrom.m
      ? { sender: tx.mailFrom.m }
      : s.helo
        ? { sender: `postmaster@${s.helo}` }
        : {}),
    mta,
    resolver: ctx.dns ?? systemResolver,
    minBitLength: config.min_bit_length,
    disableArc: !config.arc,
    disableDmarc: !config.dmarc,
    disableBimi: true,
    ...(sealCfg && sealKey
      ? { seal: { signingDomain: sealCfg.domain, selector: sealCfg.selector, privateKey: sealKey } }
      : {}),
  });
  const results: AuthResults = {
    ...(res.spf ? { spf: res.spf.status.result } : {}),
    // mailauth adds a `dkim=none` placeholder without a domain for unsigned mail
    dkim: (res.dkim.results ?? [])
      .filter((r) => r.signingDomain)
      .map((r) => ({
        domain: r.signingDomain,
        result: r.status.result,
        ...(r.status.aligned !== undefined ? { aligned: Boolean(r.status.aligned) } : {}),
      })),
    ...(res.dmarc
      ? {
          dmarc: {
            result: res.dmarc.status.result,
            policy: res.dmarc.policy,
            domain: res.dmarc.domain,
          },
        }
      : {}),
    ...(res.arc ? { arc: res.arc.status.result } : {}),
  };
  const headers = res.headers
    .replace(/\r\n$/, '')
    .split(/\r\n(?=[A-Za-z0-9-]+:)/)
    .filter((h) => /^(Authentication-Results|Received-SPF|ARC-[A-Za-z-]+):/i.test(h));
  const ar = headers.find((h) => /^Authentication-Results:/i.test(h));
  if (ar) results.header = ar.replace(/^Authentication-Results:\s*/i, '');
  tx.setAuthResults(results);
  tx.prependHeaders(headers);
  const sealed = headers.some((h) => /^ARC-Seal:/i.test(h));
  tx.event('auth_checked', {
    ...(sealed ? { arc_sealed: true } : {}),
    spf: results.spf,
    dkim: results.dkim?.map((d) => `${d.domain}=${d.result}`),
    dmarc: results.dmarc?.result,
    arc: results.arc,
  });
  return { kind: 'continue' };
};
