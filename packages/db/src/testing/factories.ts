import { randomBytes } from 'node:crypto';
import type { DbOrTx } from '../client/create-db.ts';
import { getChainByName, upsertChain } from '../queries/chains.ts';
import type { FilterConfig } from '../schema/chains/table.ts';

/** A name no other test uses, valid as a sender or chain name. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/**
 * The chain `name` exists (created with `filters`, or left as it is): a sender's `output_chain`
 * must name a real chain (a foreign key). Returns the name, for `output_chain: await
 * ensureChain(db, 'out')`.
 */
export async function ensureChain(
  db: DbOrTx,
  name = uniqueName('c'),
  filters: FilterConfig[] = [],
): Promise<string> {
  if (!(await getChainByName(db, name))) {
    await db.transaction((tx) => upsertChain(tx, { name, filters, author: 'test' }));
  }
  return name;
}
