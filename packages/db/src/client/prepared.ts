import { createHash } from 'node:crypto';
import type { SQL } from 'drizzle-orm';
import type { PgDialect, PgSession } from 'drizzle-orm/pg-core';
import type { DbOrTx } from './create-db.ts';

/** What every drizzle PostgreSQL database and transaction object carries. */
interface WithSession {
  session: PgSession;
  dialect: PgDialect;
}

interface Template {
  execute(values: Record<string, unknown>): Promise<{ rows: Record<string, unknown>[] }>;
}
const templates = new WeakMap<object, Map<string, Template>>();

/**
 * Runs a named prepared statement whose SQL is built once per database handle and `shape`:
 * PostgreSQL parses and plans it once per connection, and the hot path skips drizzle's query
 * building. `build` writes every value that varies as `sql.placeholder(name)`; each call gives
 * them as the driver takes them (JSON text for jsonb, ISO text for times: a placeholder bypasses
 * column encoders). Any literal in `build` is fixed for the shape's lifetime, so the shape key
 * must name everything that changes the text. The statement's name is a hash of its text, so
 * one name never stands for two texts. Rows come back as the driver gives them (database column
 * names; map them with `mapRow`).
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
