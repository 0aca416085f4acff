import { asc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client/create-db.ts';
import { withDbErrors } from '../client/errors.ts';
import { type SecretRow, secrets } from '../schema/secrets/table.ts';

/** An encrypted secret value, as the service layer's cipher makes it. */
export interface SealedSecret {
  keyId: string;
  nonce: Buffer;
  ciphertext: Buffer;
}

/** What may be listed: names and dates, never the (encrypted) value. */
export type SecretInfo = Pick<SecretRow, 'name' | 'keyId' | 'version' | 'createdAt' | 'updatedAt'>;

/** The columns of a SecretInfo, as reads and writes return them. */
const infoColumns = {
  name: secrets.name,
  keyId: secrets.keyId,
  version: secrets.version,
  createdAt: secrets.createdAt,
  updatedAt: secrets.updatedAt,
};

export async function insertSecret(
  db: DbOrTx,
  name: string,
  sealed: SealedSecret,
): Promise<SecretInfo> {
  const [row] = await withDbErrors(() =>
    db
      .insert(secrets)
      .values({ name, ...sealed })
      .returning(infoColumns),
  );
  return row!;
}

/** Replaces the value; the version increments. Undefined when there is no such secret. */
export async function replaceSecret(
  db: DbOrTx,
  name: string,
  sealed: SealedSecret,
): Promise<SecretInfo | undefined> {
  const [row] = await db
    .update(secrets)
    .set({ ...sealed, version: sql`${secrets.version} + 1`, updatedAt: sql`now()` })
    .where(eq(secrets.name, name))
    .returning(infoColumns);
  return row;
}

export async function getSecretRow(db: DbOrTx, name: string): Promise<SecretRow | undefined> {
  const [row] = await db.select().from(secrets).where(eq(secrets.name, name));
  return row;
}

export async function listSecretInfo(db: DbOrTx): Promise<SecretInfo[]> {
  return db.select(infoColumns).from(secrets).orderBy(asc(secrets.name));
}

export async function deleteSecretRow(db: DbOrTx, name: string): Promise<boolean> {
  const rows = await db.delete(secrets).where(eq(secrets.name, name)).returning({ id: secrets.id });
  return rows.length > 0;
}
