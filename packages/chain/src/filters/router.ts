import type { FilterRun } from '../registry.ts';
import { verdictFromResponse } from '../responses.ts';
import { domainOf, localPartOf } from '../rfc5322.ts';
import { parseHostPort } from '../schema-common.ts';
import type { Verdict } from '../types.ts';
import type { RouterPolicy } from './router.schema.ts';

export type RecipientRoute = { smarthost?: string; destination_domain?: string };
type Decision = { accept: RecipientRoute } | { reject: Verdict } | undefined;

const domainMatches = (domain: string, patterns: string[]) =>
  patterns.some((p) => {
    const q = p.toLowerCase().replace(/\.$/, '');
    return q.startsWith('.') ? domain.endsWith(q) || domain === q.slice(1) : domain === q;
  });

/** Remove a sub-address (`user+tag` → `user`) for any of the delimiter characters. */
export function baseLocalPart(local: string, delimiters: string): string {
  if (!delimiters) return local;
  let cut = local.length;
  for (const d of delimiters) {
    const i = local.indexOf(d);
    if (i > 0 && i < cut) cut = i;
  }
  return local.slice(0, cut);
}

/** Decide one recipient against one policy (undefined: the policy does not match). */
export function applyPolicy(policy: RouterPolicy, address: string): Decision {
  const domain = domainOf(address);
  const scoped = (domains: string[]) => domains.length === 0 || domainMatches(domain, domains);
  switch (policy.type) {
    case 'destination_domain':
      return domain && scoped(policy.domains)
        ? { accept: { destination_domain: domain } }
        : undefined;
    case 'smarthost':
      return scoped(policy.domains) ? { accept: { smarthost: policy.smarthost } } : undefined;
    case 'address_list': {
      const local = localPartOf(address).toLowerCase();
      const base = `${baseLocalPart(local, policy.delimiter)}@${domain}`;
      const hit =
        policy.addresses.some(
          (a) => a.toLowerCase() === base || a.toLowerCase() === `${local}@${domain}`,
        ) ||
        domainMatches(domain, policy.domains) ||
        policy.prefixes.some((p) => local.startsWith(p.toLowerCase()));
      if (!hit) return undefined;
      if (policy.action === 'reject') {
        return {
          reject: verdictFromResponse(
            policy.response ?? { code: 550, enhanced: '5.1.1', message: 'mailbox unavailable' },
          ),
        };
      }
      return {
        accept: policy.smarthost ? { smarthost: policy.smarthost } : { destination_domain: domain },
      };
    }
  }
}

/**
 * Route each recipient by the first matching policy; recipients no policy accepts are rejected.
 * Routing data: `remote_hosts` for a static next hop, else `destination_domain` for
 * `dns_resolution`; per-recipient routes in `routing.rcpt_routes`.
 */
export const router: FilterRun<'router'> = async (tx, config) => {
  const routes: (RecipientRoute | undefined)[] = [];
  const verdicts = tx.rcptTo.map((r): Verdict | undefined => {
    for (const policy of config.policies) {
      const d = applyPolicy(policy, r.m);
      if (!d) continue;
      if ('reject' in d) {
        routes.push(undefined);
        return d.reject;
      }
      routes.push(d.accept);
      return undefined;
    }
    routes.push(undefined);
    return verdictFromResponse(config.reject);
  });
  const accepted = routes.filter((r): r is RecipientRoute => r !== undefined);
  const first = accepted[0];
  if (first?.smarthost && accepted.every((r) => r.smarthost === first.smarthost)) {
    tx.setRouting({
      remote_hosts: [parseHostPort(first.smarthost, 25)],
    });
  } else if (first?.destination_domain) {
    tx.setRouting({ destination_domain: first.destination_domain });
  }
  tx.setRouting({ rcpt_routes: routes });
  const rejected = verdicts.filter(Boolean).length;
  if (rejected) tx.event('rcpt_rejected', { count: rejected });
  return { kind: 'continue', rcpt: verdicts };
};
