import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { withDbErrors } from '../client/errors.ts';
import { type Domain, type DomainKey, domainKeys, domains } from '../schema/domains/table.ts';
import type { DomainSettings } from '../schema/domains/validation.ts';

export type DomainWithKeys = Domain & { keys: DomainKey[] };
export type DomainKeyInsert = Omit<typeof domainKeys.$inferInsert, 'id' | 'domainId' | 'createdAt'>;

export async function insertDomain(
  db: DbOrTx,
  input: { name: string; settings: DomainSettings },
): Promise<Domain> {
  const [row] = await withDbErrors(() => db.insert(domains).values(input).returning());
  return row!;
}

export async function updateDomainSettings(
  db: DbOrTx,
  id: string,
  settings: DomainSettings,
): Promise<Domain> {
  const [row] = await db
    .update(domains)
    .set({ settings, version: sql`${domains.version} + 1`, updatedAt: sql`now()` })
    .where(eq(domains.id, id))
    .returning();
  return row!;
}

/** Bumps the version (a key was added or retired). */
export async function touchDomain(db: DbOrTx, id: string): Promise<void> {
  await db
    .update(domains)
    .set({ version: sql`${domains.version} + 1`, updatedAt: sql`now()` })
    .where(eq(domains.id, id));
}

export async function insertDomainKeys(
  db: DbOrTx,
  domainId: string,
  keys: DomainKeyInsert[],
): Promise<DomainKey[]> {
  if (keys.length === 0) return [];
  return withDbErrors(() =>
    db
      .insert(domainKeys)
      .values(keys.map((k) => ({ ...k, domainId })))
      .returning(),
  );
}

export async function setDomainKeyRetireAt(db: DbOrTx, keyId: string, at: Date): Promise<void> {
  await db.update(domainKeys).set({ retireAt: at }).where(eq(domainKeys.id, keyId));
}

export async function deleteDomainKeys(db: DbOrTx, keyIds: string[]): Promise<void> {
  if (keyIds.length > 0) await db.delete(domainKeys).where(inArray(domainKeys.id, keyIds));
}

export async function getDomainByName(
  db: DbOrTx,
  name: string,
): Promise<DomainWithKeys | undefined> {
  const [row] = await db.select().from(domains).where(eq(domains.name, name));
  if (!row) return undefined;
  return { ...row, keys: await keysOf(db, [row.id]) };
}

/** Domains with their keys, by name; `names` narrows (e.g. a domain and its parents). */
export async function listDomains(db: DbOrTx, names?: string[]): Promise<DomainWithKeys[]> {
  if (names && names.length === 0) return [];
  const rows = await db
    .select()
    .from(domains)
    .where(names ? inArray(domains.name, names) : undefined)
    .orderBy(asc(domains.name));
  const keys = await keysOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({ ...r, keys: keys.filter((k) => k.domainId === r.id) }));
}

export async function deleteDomain(db: DbOrTx, id: string): Promise<void> {
  await db.delete(domains).where(eq(domains.id, id));
}

async function keysOf(db: DbOrTx, domainIds: string[]): Promise<DomainKey[]> {
  if (domainIds.length === 0) return [];
  return db
    .select()
    .from(domainKeys)
    .where(and(inArray(domainKeys.domainId, domainIds)))
    .orderBy(asc(domainKeys.activeFrom), desc(domainKeys.algorithm), asc(domainKeys.selector));
}
