import { canonicalJson, listChains, listDomains, listSenders } from '@koukan/db';
import { type DomainConfig, exportDomains, keyConflicts } from '@koukan/db/config';
import type { z } from 'zod';
import { type ChainDiffRow, diffFilters, type FieldChange, fieldChanges } from '../chains/diff.ts';
import type { ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';
import { senderConfig } from '../senders/schemas.ts';
import { configYamlInput, parseConfigFile } from './yaml.ts';

export interface SenderPreview {
  name: string;
  change: 'create' | 'update' | 'unchanged';
  fields: FieldChange[];
}

export interface ChainPreview {
  name: string;
  change: 'create' | 'update' | 'unchanged';
  /** The version it is at now and would be at after the import. */
  version?: { from: number; to: number };
  rows: ChainDiffRow[];
  description?: FieldChange;
}

export interface DomainPreview {
  name: string;
  change: 'create' | 'update' | 'unchanged';
  /** `settings.*` changes, and keys by selector (`keys.<selector>`): added or re-dated. */
  fields: FieldChange[];
}

export interface ImportPreview {
  senders: SenderPreview[];
  chains: ChainPreview[];
  domains: DomainPreview[];
  /** In the database but not in the file: an import leaves them as they are (never removes). */
  not_in_file: { senders: string[]; chains: string[]; domains: string[] };
  /** Errors that would refuse the import (e.g. an output chain that exists nowhere). */
  problems: { field: string; message: string }[];
  /** Deprecated spellings the file uses (read anyway), e.g. `endpoint:` for `chain:`. */
  warnings: { field: string; message: string }[];
}

/**
 * What importing a configuration file would do, per entity, without changing anything:
 * senders created or updated (field by field), chains created or updated (with their filter
 * diff and new version), and what the file does not mention (kept). Invalid files are a
 * `bad_request` naming each path.
 */
export async function configImportPreview({
  ctx,
  input,
}: ServiceCall<z.input<typeof configYamlInput>>): Promise<ImportPreview> {
  const i = parseInput(configYamlInput, input);
  const { config, warnings } = parseConfigFile(i.yaml);
  const [senders, chains, domains, domainsWithKeys] = await Promise.all([
    listSenders(ctx.db),
    listChains(ctx.db),
    exportDomains(ctx.db),
    listDomains(ctx.db),
  ]);
  const sendersByName = new Map(senders.map((s) => [s.name, s]));
  const chainsByName = new Map(chains.map((c) => [c.name, c]));

  const senderPreviews = config.sender.map((input): SenderPreview => {
    const existing = sendersByName.get(input.name);
    const { name: _n, ...given } = input;
    if (!existing) return { name: input.name, change: 'create', fields: fieldChanges({}, given) };
    const current = senderConfig(existing) as Record<string, unknown>;
    // Only the keys the file gives are set (as importConfig does).
    const fields = Object.entries(given).flatMap(([k, v]) => fieldChanges(current[k], v, k));
    return { name: input.name, change: fields.length ? 'update' : 'unchanged', fields };
  });

  const chainPreviews = config.chain.map((c): ChainPreview => {
    const existing = chainsByName.get(c.name);
    if (!existing) return { name: c.name, change: 'create', rows: diffFilters([], c.filters) };
    const description = c.description ?? existing.description;
    const same =
      description === existing.description &&
      canonicalJson(existing.filters) === canonicalJson(c.filters);
    return {
      name: c.name,
      change: same ? 'unchanged' : 'update',
      ...(!same && { version: { from: existing.version, to: existing.version + 1 } }),
      rows: diffFilters(existing.filters, c.filters),
      ...(description !== existing.description && {
        description: { path: 'description', before: existing.description, after: description },
      }),
    };
  });

  const inFile = new Set(config.chain.map((c) => c.name));
  const problems = config.sender.flatMap((s, idx) =>
    s.output_chain && !inFile.has(s.output_chain) && !chainsByName.has(s.output_chain)
      ? [{ field: `sender[${idx}].output_chain`, message: `no chain named "${s.output_chain}"` }]
      : [],
  );
  // An existing selector given another key would be refused by the import.
  const keysByDomain = new Map(domainsWithKeys.map((d) => [d.name, d]));
  config.domain.forEach((d, i) => {
    for (const c of keyConflicts(keysByDomain.get(d.name), d)) {
      problems.push({ field: `domain[${i}].keys[${c.index}].${c.field}`, message: c.message });
    }
  });
  const senderNames = new Set(config.sender.map((s) => s.name));
  const domainsByName = new Map(domains.map((d) => [d.name, d]));
  const domainNames = new Set(config.domain.map((d) => d.name));
  return {
    senders: senderPreviews,
    chains: chainPreviews,
    domains: config.domain.map((d) => domainPreview(domainsByName.get(d.name), d)),
    not_in_file: {
      senders: senders.filter((s) => !senderNames.has(s.name)).map((s) => s.name),
      chains: chains.filter((c) => !inFile.has(c.name)).map((c) => c.name),
      domains: domains.filter((d) => !domainNames.has(d.name)).map((d) => d.name),
    },
    problems,
    warnings,
  };
}

/** As importDomain does it: settings replaced, keys added by selector or re-dated, none removed. */
function domainPreview(existing: DomainConfig | undefined, given: DomainConfig): DomainPreview {
  const keyFields = (k: DomainConfig['keys'][number]) => ({
    active_from: new Date(k.active_from).toISOString(),
    retire_at: k.retire_at ? new Date(k.retire_at).toISOString() : null,
  });
  if (!existing) {
    return {
      name: given.name,
      change: 'create',
      fields: [
        ...fieldChanges({}, given.settings, 'settings'),
        ...given.keys.map((k) => ({ path: `keys.${k.selector}`, after: k })),
      ],
    };
  }
  const have = new Map(existing.keys.map((k) => [k.selector, k]));
  const fields = [
    ...fieldChanges(existing.settings, given.settings, 'settings'),
    ...given.keys.flatMap((k) => {
      const current = have.get(k.selector);
      if (!current) return [{ path: `keys.${k.selector}`, after: k }];
      return fieldChanges(keyFields(current), keyFields(k), `keys.${k.selector}`);
    }),
  ];
  return { name: given.name, change: fields.length ? 'update' : 'unchanged', fields };
}
