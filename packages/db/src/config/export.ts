import { stringify } from 'yaml';
import type { DbOrTx } from '../client/create-db.ts';
import { listChains } from '../queries/chains.ts';
import { listSenders } from '../queries/senders.ts';
import type { ConfigFile } from './schema.ts';

/** The database's senders and chains as a configuration object, sorted by name. */
export async function exportConfigObject(db: DbOrTx): Promise<ConfigFile> {
  const [senders, chains] = await Promise.all([listSenders(db), listChains(db)]);
  return {
    sender: senders.map((s) => ({
      name: s.name,
      description: s.description,
      output_chain: s.outputChain,
      enabled: s.enabled,
      retry: s.retry,
      notification: s.notification,
      settings: s.settings,
    })),
    endpoint: chains.map((c) => ({ name: c.name, description: c.description, chain: c.filters })),
  };
}

/** The same as YAML, ready to be imported again. */
export async function exportConfig(db: DbOrTx): Promise<string> {
  return `# Koukan configuration, exported ${new Date().toISOString()}\n${stringify(await exportConfigObject(db))}`;
}
