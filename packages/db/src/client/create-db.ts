import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import pino, { type Logger } from 'pino';
import * as schema from '../schema/index.ts';

export type Schema = typeof schema;
export type Db = NodePgDatabase<Schema>;
/** A database handle or an open transaction: query functions accept either. */
export type DbOrTx = Db | Parameters<Parameters<Db['transaction']>[0]>[0];

export interface DbOptions {
  url: string;
  /** Pool size; default 10. */
  poolSize?: number;
  /** Server-side statement timeout in milliseconds; default 30 s, 0 disables. */
  statementTimeoutMs?: number;
  applicationName?: string;
  /**
   * A session idle inside a transaction this long is ended by the server
   * (idle_in_transaction_session_timeout), so a stalled caller cannot hold locks; default 0 =
   * the server's setting. The embedded server enforces its own (5 s) whatever is asked.
   */
  idleInTransactionTimeoutMs?: number;
  /** Where a lost idle connection is reported; default a pino logger named `koukan-db`. */
  logger?: Logger;
  /**
   * A connection is replaced after this many seconds (once idle); default 60. Its prepared
   * statements keep the generic plan PostgreSQL made for the tables as they were then: planned
   * on a young database (a sequential scan of a small `transactions`), the mail path's statements
   * otherwise kept that plan while the table grew, each slower with every row.
   */
  maxLifetimeSeconds?: number;
}

export interface DbHandle {
  db: Db;
  pool: pg.Pool;
  close(): Promise<void>;
}

/**
 * bigint (int8) columns are declared `mode: 'number'`; this pool's raw driver agrees for counts.
 * Set per pool, not process-wide, so another pg user in the same process is not changed.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary'
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export function createDb(options: DbOptions): DbHandle {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    application_name: options.applicationName ?? 'koukan',
    connectionTimeoutMillis: 10_000,
    maxLifetimeSeconds: options.maxLifetimeSeconds ?? 60,
    types,
    ...(options.idleInTransactionTimeoutMs && {
      idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs,
    }),
  });
  // A client that loses its connection must not crash the process: idle, the pool replaces it;
  // checked out (a transaction between two statements), its next statement fails and the pool
  // drops it on release. pg-pool listens for errors only on idle clients, so every client gets
  // a listener of its own.
  const logger = options.logger ?? pino({ name: 'koukan-db' });
  // the message and code only: pg-pool attaches the client to the error, and serialising it
  // logged every prepared statement's text (kilobytes per lost connection)
  const lost = (err: Error & { code?: string }) =>
    logger.warn(
      { err: { message: err.message, code: err.code }, application: options.applicationName },
      'database connection lost',
    );
  pool.on('error', lost);
  pool.on('connect', (client) => client.on('error', lost));
  const db = drizzle({ client: pool, schema });
  return {
    db,
    pool,
    close: () => pool.end(),
  };
}
