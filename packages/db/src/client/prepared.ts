import { createHash } from 'node:crypto';
import type { SQL } from 'drizzle-orm';
import type { PgDialect, PgSession } from 'drizzle-orm/pg-core';
import type { DbOrTx } from './create-db.ts';

/** What every drizzle PostgreSQL database and transaction object carries. */
interface WithSession {
  session: PgSession;
  dialect: PgDialect;
}

/**
 * Runs `query` as a named prepared statement, so PostgreSQL parses and plans it once per
 * connection rather than on every call — for the statements of the delivery hot path. The name
 * is a hash of the SQL text, so one name never stands for two texts. Rows come back as the
 * driver gives them (database column names; map them with `mapRow`).
 */
export async function executePrepared<T extends Record<string, unknown>>(
  db: DbOrTx,
  query: SQL,
): Promise<T[]> {
  const { session, dialect } = db as unknown as WithSession;
  const built = dialect.sqlToQuery(query);
  const name = `k_${createHash('sha1').update(built.sql).digest('base64url')}`;
  const prepared = session.prepareQuery(built, undefined, name, false);
  const result = (await prepared.execute()) as { rows: T[] };
  return result.rows;
}
