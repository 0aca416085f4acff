import { createHash } from 'node:crypto';
import { fillPlaceholders, type SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { DbOrTx } from './create-db.ts';

interface Template {
  /** The statement's name and text (parameters as $n). */
  name: string;
  text: string;
  /** Each parameter in order: a placeholder (filled per call) or a literal fixed at build time. */
  params: unknown[];
}
const templates = new Map<string, Template>();
const dialect = new PgDialect();

/** Rows come back as drizzle's driver returns them: times as the server's text. */
const raw = (v: string) => v;
const rawTypes = new Set([
  pg.types.builtins.TIMESTAMPTZ,
  pg.types.builtins.TIMESTAMP,
  pg.types.builtins.DATE,
  pg.types.builtins.INTERVAL,
  1115, // timestamp[]
  1182, // date[]
  1185, // timestamptz[]
  1187, // interval[]
  1231, // numeric[]
]);
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    rawTypes.has(oid) ? raw : pg.types.getTypeParser(oid, format),
} as pg.CustomTypesConfig;

/** The statements `executeTemplate` has built in this process, by shape (for tests and tools). */
export function preparedTemplates(): { shape: string; text: string; params: number }[] {
  return [...templates].map(([shape, t]) => ({ shape, text: t.text, params: t.params.length }));
}

/** A value of an `executeTemplate` statement, given under `name` in its `values`. */
export const p = (name: string) => sql.placeholder(name);

/**
 * Runs a named prepared statement whose SQL is built once per `shape`: PostgreSQL parses and
 * plans it once per connection, and the hot path neither builds it nor goes through drizzle's
 * query machinery (the driver gets the name, the text and the values as they are).
 * `build` writes every value that varies as `sql.placeholder(name)`; each call gives them as the
 * driver takes them (JSON text for jsonb, ISO text for times: a placeholder bypasses column
 * encoders). Any literal in `build` is fixed for the shape's lifetime, so the shape key must name
 * everything that changes the text. The statement's name is a hash of its text, so one name never
 * stands for two texts. Rows come back as the driver gives them (database column names; map them
 * with `mapRow`).
 */
export async function executeTemplate<T extends Record<string, unknown>>(
  db: DbOrTx,
  shape: string,
  build: () => SQL,
  values: Record<string, unknown>,
): Promise<T[]> {
  let template = templates.get(shape);
  if (!template) {
    const built = dialect.sqlToQuery(build());
    const name = `k_${createHash('sha1').update(built.sql).digest('base64url')}`;
    template = { name, text: `/*${name}*/${built.sql}`, params: built.params };
    templates.set(shape, template);
  }
  // the pool (a database handle) or the connection of an open transaction
  const { client } = (db as unknown as { session: { client: pg.Pool | pg.PoolClient } }).session;
  const result = await client.query<T>({
    name: template.name,
    text: template.text,
    values: fillPlaceholders(template.params, values),
    types,
  });
  return result.rows;
}
