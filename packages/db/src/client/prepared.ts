import { createHash } from 'node:crypto';
import { fillPlaceholders, type SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { DbOrTx } from './create-db.ts';

/** `/*k_<hash>*\/ select …`: the text of a statement that runs as the named statement `k_<hash>`. */
const MARKER = /^\/\*(k_[\w-]+)\*\//;

/**
 * pg's client (the pool's `Client` option) that runs a query whose text starts with a statement
 * name marker as that named statement ({name, text, values}): PostgreSQL parses and plans it once
 * per connection, later calls send only Bind and Execute. Every other query is left as it is.
 */
export class NamedStatementClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's query has a dozen overloads
  override query(...args: any[]): any {
    const config = args[0];
    const plain = config && typeof config === 'object' && typeof config.submit !== 'function';
    if (plain && typeof config.text === 'string' && !config.name) {
      const name = MARKER.exec(config.text)?.[1];
      if (name) args[0] = { ...config, name };
    }
    return (super.query as (...a: unknown[]) => unknown)(...args);
  }
}

interface Template {
  /** The text around each parameter: chunks.length = params.length + 1. */
  chunks: string[];
  /** Each parameter in order: a placeholder (filled per call) or a literal fixed at build time. */
  params: unknown[];
}
const templates = new Map<string, Template>();
const dialect = new PgDialect();

/**
 * Runs a named prepared statement whose SQL is built once per `shape`: PostgreSQL parses and
 * plans it once per connection (see NamedStatementClient), and the hot path skips building it.
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
    const chunks = `/*${name}*/${built.sql}`.split(/\$\d+\b/);
    if (chunks.length !== built.params.length + 1) {
      throw new Error(`template ${shape}: a "$<n>" outside its parameters`);
    }
    template = { chunks, params: built.params };
    templates.set(shape, template);
  }
  const filled = fillPlaceholders(template.params, values);
  const { chunks } = template;
  const query = sql.join(
    chunks.flatMap((chunk, i) =>
      i < filled.length ? [sql.raw(chunk), sql.param(filled[i])] : [sql.raw(chunk)],
    ),
  );
  return (await db.execute(query)).rows as T[];
}
