import { eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { meta } from '../schema/meta/table.ts';

export async function getMeta<T>(db: DbOrTx, key: string): Promise<T | undefined> {
  const [row] = await db.select().from(meta).where(eq(meta.key, key));
  return row?.value as T | undefined;
}

/** Sets `key` only if it is not set yet; true when this call set it. */
export async function setMetaOnce(db: DbOrTx, key: string, value: unknown): Promise<boolean> {
  const rows = await db.insert(meta).values({ key, value }).onConflictDoNothing().returning();
  return rows.length > 0;
}

export async function setMeta(db: DbOrTx, key: string, value: unknown): Promise<void> {
  await db
    .insert(meta)
    .values({ key, value })
    .onConflictDoUpdate({ target: meta.key, set: { value, updatedAt: sql`now()` } });
}
