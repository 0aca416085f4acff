import { z } from 'zod';
import { chainNameSchema, filterConfigSchema } from '../schema/chains/validation.ts';
import {
  dkimAlgorithmSchema,
  domainNameSchema,
  domainSettingsSchema,
  secretNameSchema,
} from '../schema/domains/validation.ts';
import { senderInputSchema } from '../schema/senders/validation.ts';

/**
 * `koukan.yaml`: senders and their output chains, each chain a name and its list of filters.
 * Filter configs are checked structurally here and in detail by the chain validator the caller
 * passes in (from @koukan/chain). The old spelling (`endpoint:` entries with a `chain:` list)
 * is still read, with a deprecation warning (see `upgradeLegacyConfig`).
 */
const chainConfigSchema = z.strictObject({
  name: chainNameSchema,
  description: z.string().max(500).optional(),
  filters: z.array(filterConfigSchema),
});

/** A DKIM key of a domain: its public half, and the name of the secret holding the private key
 * (never the key itself: secrets are not part of the configuration file). */
const domainKeyConfigSchema = z.strictObject({
  selector: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/i, 'a DNS label'),
  algorithm: dkimAlgorithmSchema,
  public_key: z.string().regex(/^[A-Za-z0-9+/]+=*$/, 'base64'),
  secret: secretNameSchema,
  active_from: z.iso.datetime({ offset: true }),
  retire_at: z.iso.datetime({ offset: true }).nullable().default(null),
});

export const domainConfigSchema = z.strictObject({
  name: domainNameSchema,
  settings: domainSettingsSchema.default({}),
  keys: z.array(domainKeyConfigSchema).default([]),
});

export const configFileSchema = z.strictObject({
  sender: z.array(senderInputSchema).default([]),
  chain: z.array(chainConfigSchema).default([]),
  /** sending domains (`koukan domain add` makes them; the secrets travel separately) */
  domain: z.array(domainConfigSchema).default([]),
});

export type ConfigFile = z.infer<typeof configFileSchema>;
export type DomainConfig = z.infer<typeof domainConfigSchema>;

/** A deprecated spelling that was read anyway: what to write instead. */
export type ConfigWarning = ConfigIssue;

export interface ConfigIssue {
  /** e.g. `sender[1].retry.schedule[0]` */
  path: string;
  message: string;
}

export type ChainValidator = (
  filters: unknown,
) => { ok: true } | { ok: false; errors: { path: (string | number)[]; message: string }[] };

/** Issues kept in a ConfigError: a file with thousands of errors reports the first ones. */
const MAX_ISSUES = 50;

export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    const kept =
      issues.length > MAX_ISSUES
        ? [
            ...issues.slice(0, MAX_ISSUES),
            { path: '', message: `… and ${issues.length - MAX_ISSUES} more issues` },
          ]
        : issues;
    super(
      `invalid configuration:\n${kept.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.issues = kept;
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}
