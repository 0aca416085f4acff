import type { Db } from '../client/create-db.ts';
import { recordAudit } from '../queries/audit.ts';
import { getChainByName, upsertChain } from '../queries/chains.ts';
import { getSenderByName, upsertSender } from '../queries/senders.ts';
import { senderFields } from '../schema/senders/validation.ts';
import { importDomain } from './domains.ts';
import { parseConfig, validateConfig } from './parse.ts';
import {
  type ChainValidator,
  ConfigError,
  type ConfigFile,
  type ConfigIssue,
  type ConfigWarning,
} from './schema.ts';

export interface ImportResult {
  changedSenders: string[];
  changedChains: string[];
  changedDomains: string[];
  /** secrets named by the file's domains that this database does not hold */
  missingSecrets: string[];
  /** deprecated spellings the file used (read anyway) */
  warnings: ConfigWarning[];
}

/**
 * Upserts the senders, chains and domains of a configuration file in one database transaction, with an
 * audit-log entry for each change. Importing the same file again changes nothing. Sender
 * `output_chain`s must name a chain in the file or already in the database.
 */
export async function importConfig(
  db: Db,
  source: string | ConfigFile,
  options: { actor: string; validateChain?: ChainValidator },
): Promise<ImportResult> {
  const warnings: ConfigWarning[] = [];
  const parse = { ...options, onWarning: (w: ConfigWarning) => warnings.push(w) };
  const config =
    typeof source === 'string' ? parseConfig(source, parse) : validateConfig(source, parse);
  return db.transaction(async (tx) => {
    const known = new Set(config.chain.map((c) => c.name));
    const issues: ConfigIssue[] = [];
    for (const [i, sender] of config.sender.entries()) {
      const chain = sender.output_chain;
      if (chain && !known.has(chain) && !(await getChainByName(tx, chain))) {
        issues.push({ path: `sender[${i}].output_chain`, message: `no chain named "${chain}"` });
      }
    }
    if (issues.length > 0) throw new ConfigError(issues);

    const result: ImportResult = {
      changedSenders: [],
      changedChains: [],
      changedDomains: [],
      missingSecrets: [],
      warnings,
    };
    for (const input of config.chain) {
      const { chain, changed } = await upsertChain(tx, {
        name: input.name,
        description: input.description,
        filters: input.filters,
        author: options.actor,
      });
      if (!changed) continue;
      result.changedChains.push(chain.name);
      await recordAudit(tx, {
        actor: options.actor,
        action: 'chain.import',
        entityType: 'chain',
        entityId: chain.id,
        details: { name: chain.name, version: chain.version },
      });
    }
    for (const input of config.sender) {
      const before = await getSenderByName(tx, input.name);
      const { sender, changed } = await upsertSender(tx, input);
      if (!changed) continue;
      result.changedSenders.push(sender.name);
      await recordAudit(tx, {
        actor: options.actor,
        action: 'sender.import',
        entityType: 'sender',
        entityId: sender.id,
        details: {
          name: sender.name,
          version: sender.version,
          before: before ? senderFields(before) : null,
          after: senderFields(sender),
        },
      });
    }
    for (const [i, input] of config.domain.entries()) {
      const { changed, missingSecrets, conflicts } = await importDomain(tx, input, options.actor);
      for (const c of conflicts) {
        issues.push({ path: `domain[${i}].keys[${c.index}].${c.field}`, message: c.message });
      }
      if (changed) result.changedDomains.push(input.name);
      result.missingSecrets.push(...missingSecrets);
    }
    // a conflicting key rolls the whole import back
    if (issues.length > 0) throw new ConfigError(issues);
    return result;
  });
}
