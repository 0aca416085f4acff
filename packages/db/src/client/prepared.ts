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

interface Template {
  execute(values: Record<string, unknown>): Promise<{ rows: Record<string, unknown>[] }>;
}
const templates = new WeakMap<object, Map<string, Template>>();

/**
 * A named prepared statement whose SQL is built once per database handle and `shape`: `build`
 * writes every value that varies as `sql.placeholder(name)` (or a placeholder in a builder's
 * `.values()`, which keeps the column's encoding), and each call supplies them. Spares the hot
 * path drizzle's query building as well as PostgreSQL's planning. Any literal in `build` is
 * fixed for the shape's lifetime, so a shape key must name everything that changes the text.
 */
export async function executeTemplate<T extends Record<string, unknown>>(
  db: DbOrTx,
  shape: string,
  build: () => SQL,
  values: Record<string, unknown>,
): Promise<T[]> {
  let shapes = templates.get(db);
  if (!shapes) {
    shapes = new Map();
    templates.set(db, shapes);
  }
  let template = shapes.get(shape);
  if (!template) {
    const { session, dialect } = db as unknown as WithSession;
    const built = dialect.sqlToQuery(build());
    const name = `k_${createHash('sha1').update(built.sql).digest('base64url')}`;
    template = session.prepareQuery(built, undefined, name, false) as unknown as Template;
    shapes.set(shape, template);
  }
  return (await template.execute(values)).rows as T[];
}
