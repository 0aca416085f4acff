import { eq } from 'drizzle-orm';
import { canonicalJson } from '../client/canonical-json.ts';
import type { DbOrTx } from '../client/create-db.ts';
import { recordAudit } from '../queries/audit.ts';
import {
  type DomainWithKeys,
  getDomainByName,
  insertDomain,
  insertDomainKeys,
  listDomains,
  touchDomain,
  updateDomainSettings,
} from '../queries/domains.ts';
import { getSecretRow } from '../queries/secrets.ts';
import { domainKeys } from '../schema/domains/table.ts';
import type { DomainConfig } from './schema.ts';

/** A domain as the configuration file has it: settings, keys' public halves, secret names. */
function domainToConfig(d: DomainWithKeys): DomainConfig {
  return {
    name: d.name,
    settings: d.settings as DomainConfig['settings'],
    keys: d.keys.map((k) => ({
      selector: k.selector,
      algorithm: k.algorithm,
      public_key: k.publicKey,
      secret: k.secretName,
      active_from: k.activeFrom.toISOString(),
      retire_at: k.retireAt?.toISOString() ?? null,
    })),
  };
}

export async function exportDomains(db: DbOrTx): Promise<DomainConfig[]> {
  return (await listDomains(db)).map(domainToConfig);
}

/**
 * Upserts a domain of a configuration file: its settings, and its keys by selector (keys only
 * in the database are kept). Returns whether anything changed and the secrets its keys name
 * that this database does not hold (their mail is deferred until `koukan secret set` stores
 * them).
 */
export async function importDomain(
  tx: DbOrTx,
  input: DomainConfig,
  actor: string,
): Promise<{ changed: boolean; missingSecrets: string[]; conflicts: KeyConflict[] }> {
  const existing = await getDomainByName(tx, input.name);
  const conflicts = keyConflicts(existing, input);
  if (conflicts.length > 0) return { changed: false, missingSecrets: [], conflicts };
  const before = existing && canonicalJson(domainToConfig(existing));
  const domain = existing
    ? canonicalJson(existing.settings) === canonicalJson(input.settings)
      ? existing
      : await updateDomainSettings(tx, existing.id, input.settings)
    : await insertDomain(tx, { name: input.name, settings: input.settings });
  const have = new Map((existing?.keys ?? []).map((k) => [k.selector, k]));
  const fresh = input.keys.filter((k) => !have.has(k.selector));
  await insertDomainKeys(
    tx,
    domain.id,
    fresh.map((k) => ({
      selector: k.selector,
      algorithm: k.algorithm,
      publicKey: k.public_key,
      secretName: k.secret,
      activeFrom: new Date(k.active_from),
      retireAt: k.retire_at ? new Date(k.retire_at) : null,
    })),
  );
  for (const k of input.keys.filter((k) => have.has(k.selector))) {
    await tx
      .update(domainKeys)
      .set({
        activeFrom: new Date(k.active_from),
        retireAt: k.retire_at ? new Date(k.retire_at) : null,
      })
      .where(eq(domainKeys.id, have.get(k.selector)!.id));
  }
  const after = canonicalJson(domainToConfig((await getDomainByName(tx, input.name))!));
  const changed = after !== before;
  if (changed) {
    if (existing) await touchDomain(tx, domain.id);
    await recordAudit(tx, {
      actor,
      action: 'domain.import',
      entityType: 'domain',
      entityId: domain.id,
      details: { name: input.name, selectors: input.keys.map((k) => k.selector) },
    });
  }
  const missingSecrets: string[] = [];
  for (const k of input.keys)
    if (!(await getSecretRow(tx, k.secret))) missingSecrets.push(k.secret);
  return { changed, missingSecrets, conflicts: [] };
}

/** A key of the file whose selector the database holds with another key. */
export interface KeyConflict {
  /** index in the file's `keys` */
  index: number;
  field: 'algorithm' | 'public_key' | 'secret';
  message: string;
}

/**
 * A selector names one key for good: mail it signed is verified against its published public
 * key. A file that gives an existing selector another key (or secret) is refused, never
 * applied in silence: rotate to a new selector instead.
 */
export function keyConflicts(
  existing: DomainWithKeys | undefined,
  input: DomainConfig,
): KeyConflict[] {
  const out: KeyConflict[] = [];
  input.keys.forEach((k, index) => {
    const have = existing?.keys.find((e) => e.selector === k.selector);
    if (!have) return;
    const differs = (
      [
        ['algorithm', have.algorithm, k.algorithm],
        ['public_key', have.publicKey, k.public_key],
        ['secret', have.secretName, k.secret],
      ] as const
    ).find(([, a, b]) => a !== b);
    if (differs) {
      out.push({
        index,
        field: differs[0],
        message: `selector "${k.selector}" of ${input.name} already holds another key (its ${differs[0]} differs): rotate to a new selector instead`,
      });
    }
  });
  return out;
}
