import { BlockList, isIP } from 'node:net';
import type { FilterRun } from '../registry.ts';
import { verdictFromResponse } from '../responses.ts';
import { domainOf } from '../rfc5322.ts';
import type { AuthResults, SessionInfo, Verdict } from '../types.ts';
import type { PolicyMatch } from './policy.schema.ts';

/** What a match rule sees: the message-level facts and the recipient under evaluation. */
export type MatchFacts = {
  mail_from: string;
  rcpt: string;
  rcpt_count: number;
  session: SessionInfo;
  auth?: AuthResults | undefined;
  tags: readonly string[];
};

const inList = (value: string, list: string[]) =>
  list.some((x) => x.toLowerCase() === value.toLowerCase());
const inDomains = (address: string, list: string[]) => {
  const d = domainOf(address);
  return list.some((x) => {
    const p = x.toLowerCase();
    return p.startsWith('.') ? d.endsWith(p) : d === p;
  });
};

function inCidrs(ip: string | undefined, cidrs: string[]): boolean {
  if (!ip) return false;
  const family = isIP(ip);
  if (!family) return false;
  const list = new BlockList();
  for (const c of cidrs) {
    const [net, bits] = c.split('/');
    const type = isIP(net!) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(net!, type);
    else list.addSubnet(net!, Number(bits), type);
  }
  return list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
}

function authMatches(
  m: Extract<PolicyMatch, { auth: unknown }>['auth'],
  auth: AuthResults | undefined,
) {
  if (!auth) return false;
  const has = (want: string[] | undefined, got: (string | undefined)[]) =>
    want === undefined || got.some((g) => g !== undefined && inList(g, want));
  return (
    has(m.spf, [auth.spf]) &&
    has(m.dkim, auth.dkim?.length ? auth.dkim.map((d) => d.result) : ['none']) &&
    has(m.dmarc, [auth.dmarc?.result]) &&
    has(m.dmarc_policy, [auth.dmarc?.policy]) &&
    has(m.arc, [auth.arc])
  );
}

/** Evaluate a (possibly nested) match rule. */
export function matches(m: PolicyMatch, f: MatchFacts): boolean {
  if ('all' in m) return m.all.every((x) => matches(x, f));
  if ('any' in m) return m.any.some((x) => matches(x, f));
  if ('not' in m) return !matches(m.not, f);
  if ('sender_address' in m) return inList(f.mail_from, m.sender_address);
  if ('sender_domain' in m) return inDomains(f.mail_from, m.sender_domain);
  if ('rcpt_address' in m) return inList(f.rcpt, m.rcpt_address);
  if ('rcpt_domain' in m) return inDomains(f.rcpt, m.rcpt_domain);
  if ('client_cidr' in m) return inCidrs(f.session.remote_ip, m.client_cidr);
  if ('tls' in m) return Boolean(f.session.tls) === m.tls;
  if ('authenticated' in m) return Boolean(f.session.auth) === m.authenticated;
  if ('rcpt_count' in m) {
    const { min, max } = m.rcpt_count;
    return (min === undefined || f.rcpt_count >= min) && (max === undefined || f.rcpt_count <= max);
  }
  if ('auth' in m) return authMatches(m.auth, f.auth);
  return f.tags.includes(m.tag);
}

/** Match rules → reject (per recipient), log or tag. */
export const policy: FilterRun<'policy'> = async (tx, config, ctx) => {
  const logged = new Set<number>();
  const verdicts = tx.rcptTo.map((r): Verdict | undefined => {
    const facts: MatchFacts = {
      mail_from: tx.mailFrom.m,
      rcpt: r.m,
      rcpt_count: tx.rcptTo.length,
      session: tx.session,
      auth: tx.authResults,
      tags: tx.tags,
    };
    for (const [i, rule] of config.rules.entries()) {
      if (!matches(rule.match, facts)) continue;
      const name = rule.name ?? `rule ${i}`;
      switch (rule.action) {
        case 'reject':
          tx.event('policy_reject', { rule: name, rcpt: r.m, code: rule.response.code });
          return verdictFromResponse(rule.response);
        case 'log':
          if (!logged.has(i)) ctx.logger.info({ rule: name }, rule.message);
          if (!logged.has(i)) tx.event('policy_log', { rule: name, message: rule.message });
          logged.add(i);
          break;
        case 'tag':
          tx.tag(rule.tag);
          facts.tags = tx.tags;
          break;
      }
    }
    return undefined;
  });
  return { kind: 'continue', rcpt: verdicts };
};
