import { Resolver } from 'node:dns/promises';
import { parseArgs } from 'node:util';
import type { DomainSettings } from '@koukan/db/schema';
import {
  addDomain,
  checkDomain,
  listDomains,
  removeDomain,
  rotateDomain,
  showDomain,
} from '@koukan/services';
import type { Logger } from 'pino';
import type { CliEnv } from '../env.ts';
import { formatCheck, formatDomain, formatRecords } from './domain-format.ts';
import { withServices } from './service-context.ts';

const list = (v: string | undefined) => v?.split(/[,\s]+/).filter(Boolean);

/** `--dmarc-policy`, `--dmarc-rua`, `--spf`, `--mta-sts-mx`, `--mta-sts-mode`, `--tls-rpt-rua`. */
function settingsFrom(v: Record<string, string | boolean | undefined>): DomainSettings {
  const s: DomainSettings = {};
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  if (str('spf')) s.spf = { mechanisms: list(str('spf')) ?? [] };
  if (str('dmarc-policy') || str('dmarc-rua')) {
    s.dmarc = {
      ...(str('dmarc-policy') && { policy: str('dmarc-policy') as 'none' }),
      ...(str('dmarc-rua') && { rua: list(str('dmarc-rua')) }),
    };
  }
  if (str('mta-sts-mx')) {
    s.mta_sts = {
      mx: list(str('mta-sts-mx')) ?? [],
      ...(str('mta-sts-mode') && { mode: str('mta-sts-mode') as 'testing' }),
    };
  }
  if (str('tls-rpt-rua')) s.tls_rpt = { rua: list(str('tls-rpt-rua')) ?? [] };
  return s;
}

const options = {
  json: { type: 'boolean' },
  spf: { type: 'string' },
  'dmarc-policy': { type: 'string' },
  'dmarc-rua': { type: 'string' },
  'mta-sts-mx': { type: 'string' },
  'mta-sts-mode': { type: 'string' },
  'tls-rpt-rua': { type: 'string' },
  'publish-wait': { type: 'string' },
  grace: { type: 'string' },
  dns: { type: 'string' },
} as const;

const out = (s: string) => process.stdout.write(s);

/** `koukan domain add|list|show|rotate|remove|check …`: a thin adapter over the services. */
export async function domainCommand(
  env: CliEnv,
  logger: Logger,
  sub: string | undefined,
  args: string[],
): Promise<number | undefined> {
  const { values, positionals } = parseArgs({ args, options, allowPositionals: true });
  const name = positionals[0];
  const json = (v: unknown) => out(`${JSON.stringify(v, null, 2)}\n`);
  const needsName = ['add', 'show', 'rotate', 'remove', 'check'];
  if (!sub || (needsName.includes(sub) && !name) || !['list', ...needsName].includes(sub)) {
    return undefined;
  }
  return withServices(
    env,
    logger,
    { createKey: sub === 'add' || sub === 'rotate' },
    async (ctx) => {
      switch (sub) {
        case 'add': {
          const view = await addDomain({
            ctx,
            input: { name: name!, settings: settingsFrom(values) },
          });
          if (values.json) json(view);
          else {
            out(`added ${view.name}. Publish these DNS records:\n\n${formatRecords(view)}`);
            out(`\nthen check them: npm run koukan -- domain check ${view.name}\n`);
          }
          return 0;
        }
        case 'list': {
          const all = await listDomains({ ctx, input: undefined });
          if (values.json) json(all);
          else if (all.length === 0) out('no domains (npm run koukan -- domain add example.com)\n');
          else {
            for (const d of all) {
              const signing = d.keys.filter((k) => k.state === 'active').map((k) => k.selector);
              out(`${d.name}  signing with ${signing.join(', ') || 'no key'}\n`);
            }
          }
          return 0;
        }
        case 'show': {
          const view = await showDomain({ ctx, input: { name: name! } });
          if (values.json) json(view);
          else out(formatDomain(view));
          return 0;
        }
        case 'rotate': {
          const view = await rotateDomain({
            ctx,
            input: {
              name: name!,
              ...(values['publish-wait'] && { publish_wait: values['publish-wait'] }),
              ...(values.grace && { grace: values.grace }),
            },
          });
          if (values.json) json(view);
          else
            out(
              `rotated ${view.name}: publish the new keys beside the old ones\n\n${formatDomain(view)}`,
            );
          return 0;
        }
        case 'remove':
          await removeDomain({ ctx, input: { name: name! } });
          out(`removed ${name}, its keys and their secrets\n`);
          return 0;
        case 'check': {
          let dnsCtx = ctx;
          if (values.dns) {
            const resolver = new Resolver({ timeout: 3000, tries: 2 });
            resolver.setServers(list(values.dns) ?? []);
            dnsCtx = { ...ctx, dns: (n, t) => resolver.resolve(n, t) as Promise<unknown[]> };
          }
          const check = await checkDomain({ ctx: dnsCtx, input: { name: name! } });
          if (values.json) json(check);
          else out(formatCheck(check));
          return check.ok ? 0 : 3;
        }
      }
      return 2;
    },
  );
}
