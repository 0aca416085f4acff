import { stringify } from 'yaml';
import type { DbOrTx } from '../client/create-db.ts';
import { listChains } from '../queries/chains.ts';
import { listSenders } from '../queries/senders.ts';
import { senderFields } from '../schema/senders/validation.ts';
import { exportDomains } from './domains.ts';
import type { ConfigFile } from './schema.ts';

/** Keys that hold a secret inline (refused by chain validation today; a chain stored earlier
 * may still have one): export prints a placeholder, never the value. */
const INLINE_SECRET_KEYS = new Set(['private_key', 'api_key', 'password', 'secret_value']);
const REDACTED = 'REDACTED: store it with `koukan secret set <name>` and refer to it by name';

function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        INLINE_SECRET_KEYS.has(k) && v !== undefined ? REDACTED : redact(v),
      ]),
    );
  }
  return value;
}

/**
 * The database's senders, chains and sending domains as a configuration object, sorted by name.
 * Secrets are never part of it: domains name the secrets of their keys, chains name theirs.
 */
export async function exportConfigObject(db: DbOrTx): Promise<ConfigFile> {
  const [senders, chains, domain] = await Promise.all([
    listSenders(db),
    listChains(db),
    exportDomains(db),
  ]);
  return {
    sender: senders.map((s) => ({ name: s.name, ...senderFields(s) })),
    chain: chains.map((c) => ({
      name: c.name,
      description: c.description,
      filters: redact(c.filters) as ConfigFile['chain'][number]['filters'],
    })),
    domain,
  };
}

/** The same as YAML, ready to be imported again. */
export async function exportConfig(db: DbOrTx): Promise<string> {
  return `# Koukan configuration, exported ${new Date().toISOString()}\n${stringify(await exportConfigObject(db))}`;
}
