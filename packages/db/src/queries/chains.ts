import { asc, desc, eq, sql } from 'drizzle-orm';
import { canonicalJson } from '../client/canonical-json.ts';
import type { DbOrTx } from '../client/create-db.ts';
import { withDbErrors } from '../client/errors.ts';
import {
  type Chain,
  type ChainRevision,
  chainRevisions,
  chains,
  type FilterConfig,
} from '../schema/chains/table.ts';

export interface ChainInput {
  name: string;
  description?: string;
  filters: FilterConfig[];
  author: string;
}

/**
 * Creates the chain or, when its filters or description differ, stores a new version and a
 * revision. Returns the chain and whether anything changed. Call inside a transaction.
 */
export async function upsertChain(
  db: DbOrTx,
  input: ChainInput,
): Promise<{ chain: Chain; changed: boolean }> {
  return writeChainIfChanged(db, await getChainByName(db, input.name), input);
}

/** `writeChainVersion` unless `input` leaves the chain as it is (`upsertChain`, `saveChainRevision`). */
export async function writeChainIfChanged(
  db: DbOrTx,
  existing: Chain | undefined,
  input: ChainInput & { comment?: string },
): Promise<{ chain: Chain; changed: boolean }> {
  const description = input.description ?? existing?.description ?? '';
  if (
    existing &&
    existing.description === description &&
    canonicalJson(existing.filters) === canonicalJson(input.filters)
  ) {
    return { chain: existing, changed: false };
  }
  const chain = await writeChainVersion(db, existing, { ...input, description });
  return { chain, changed: true };
}

/**
 * Stores the next version of a chain (or its first) and its revision row: the one write behind
 * `upsertChain` (configuration import) and `saveChainRevision` (the console's editor).
 */
export async function writeChainVersion(
  db: DbOrTx,
  existing: Chain | undefined,
  input: {
    name: string;
    description: string;
    filters: FilterConfig[];
    author: string;
    comment?: string;
  },
): Promise<Chain> {
  const [chain] = await withDbErrors(() =>
    existing
      ? db
          .update(chains)
          .set({
            filters: input.filters,
            description: input.description,
            version: sql`${chains.version} + 1`,
            updatedAt: sql`now()`,
          })
          .where(eq(chains.id, existing.id))
          .returning()
      : db
          .insert(chains)
          .values({ name: input.name, description: input.description, filters: input.filters })
          .returning(),
  );
  await db.insert(chainRevisions).values({
    chainId: chain!.id,
    version: chain!.version,
    filters: input.filters,
    author: input.author,
    ...(input.comment !== undefined && { comment: input.comment }),
  });
  return chain!;
}

export async function getChainByName(db: DbOrTx, name: string): Promise<Chain | undefined> {
  const [row] = await db.select().from(chains).where(eq(chains.name, name));
  return row;
}

export function listChains(db: DbOrTx): Promise<Chain[]> {
  return db.select().from(chains).orderBy(asc(chains.name));
}

export function listChainRevisions(db: DbOrTx, chainId: string): Promise<ChainRevision[]> {
  return db
    .select()
    .from(chainRevisions)
    .where(eq(chainRevisions.chainId, chainId))
    .orderBy(desc(chainRevisions.version));
}

/** A cheap fingerprint of all configuration, for replicas polling for changes. */
export async function configFingerprint(db: DbOrTx): Promise<string> {
  const result = await db.execute<{ f: string }>(sql`
    select coalesce((select string_agg(id::text || ':' || version, ',' order by id) from chains), '')
      || '|' || coalesce((select string_agg(id::text || ':' || version, ',' order by id) from senders), '') as f`);
  return result.rows[0]?.f ?? '';
}
