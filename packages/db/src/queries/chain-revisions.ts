import { and, eq } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { DbError } from '../client/errors.ts';
import {
  type Chain,
  type ChainRevision,
  chainRevisions,
  chains,
  type FilterConfig,
} from '../schema/chains/table.ts';
import { writeChainIfChanged } from './chains.ts';

export interface ChainRevisionInput {
  name: string;
  description?: string;
  filters: FilterConfig[];
  author: string;
  comment: string;
  /** The version the editor loaded: `version_conflict` if the chain moved on since. */
  expectedVersion?: number;
}

/**
 * Saves a chain as a new revision (who, when, comment), creating it at version 1 if it does
 * not exist. The chain row is locked first, so concurrent saves get consecutive versions (or a
 * `version_conflict` with `expectedVersion`). An unchanged chain is not saved again. Call
 * inside a transaction.
 */
export async function saveChainRevision(
  db: DbOrTx,
  input: ChainRevisionInput,
): Promise<{ chain: Chain; before: Chain | undefined; changed: boolean }> {
  const [before] = await db.select().from(chains).where(eq(chains.name, input.name)).for('update');
  if (input.expectedVersion !== undefined && (before?.version ?? 0) !== input.expectedVersion) {
    throw new DbError(
      'version_conflict',
      `chain ${input.name} is at version ${before?.version ?? 0}, not ${input.expectedVersion}`,
      'chains',
    );
  }
  return { ...(await writeChainIfChanged(db, before, input)), before };
}

export async function getChainRevision(
  db: DbOrTx,
  chainId: string,
  version: number,
): Promise<ChainRevision | undefined> {
  const [row] = await db
    .select()
    .from(chainRevisions)
    .where(and(eq(chainRevisions.chainId, chainId), eq(chainRevisions.version, version)));
  return row;
}
