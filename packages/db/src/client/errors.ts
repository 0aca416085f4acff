/**
 * Typed database errors. Query functions translate driver errors into these so that callers
 * (REST handlers, tRPC procedures, the config importer) never inspect raw driver errors.
 */
export type DbErrorCode =
  | 'unique_violation'
  | 'foreign_key_violation'
  | 'check_violation'
  | 'not_found'
  | 'version_conflict';

export class DbError extends Error {
  constructor(
    readonly code: DbErrorCode,
    message: string,
    /** The constraint or entity concerned, e.g. `senders_name_key`. */
    readonly constraint?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'DbError';
  }
}

const pgCodes: Record<string, DbErrorCode> = {
  '23505': 'unique_violation',
  '23503': 'foreign_key_violation',
  // restrict_violation: how PostgreSQL 17 (and the embedded one) refuses an ON DELETE RESTRICT
  '23001': 'foreign_key_violation',
  '23514': 'check_violation',
};

interface PgErrorLike {
  code?: string;
  constraint?: string;
  detail?: string;
  message?: string;
  cause?: unknown;
}

/** Finds the PostgreSQL error under Drizzle's wrapper, if any. */
function findPgError(err: unknown): PgErrorLike | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const c = e as PgErrorLike;
    if (typeof c.code === 'string' && c.code in pgCodes) return c;
    e = c.cause;
  }
  return undefined;
}

/** Runs a query, rethrowing a constraint violation as a DbError (anything else unchanged). */
export async function withDbErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const pgErr = findPgError(err);
    if (!pgErr?.code) throw err;
    const code = pgCodes[pgErr.code]!;
    throw new DbError(
      code,
      `${code.replaceAll('_', ' ')} on ${pgErr.constraint ?? 'unknown constraint'}`,
      pgErr.constraint,
      { cause: err },
    );
  }
}

export function isDbError(err: unknown, code?: DbErrorCode): err is DbError {
  return err instanceof DbError && (code === undefined || err.code === code);
}

/** SQLSTATEs of a server that is gone or going: class 08 (connection), shutting down, starting. */
const unavailableStates = /^(08...|57P0[1-3])$/;
const unavailableMessages =
  /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Client was closed and is not queryable/;
const unavailableErrnos = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
]);

/**
 * Is this the database being unreachable (down, restarting, the connection lost) rather than a
 * fault of the request? The caller answers "try again later" (HTTP 503, SMTP 4xx), never 500.
 */
export function isDbUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 6; depth++) {
    const c = e as PgErrorLike & { errors?: unknown[] };
    if (
      typeof c.code === 'string' &&
      (unavailableStates.test(c.code) || unavailableErrnos.has(c.code))
    )
      return true;
    if (typeof c.message === 'string' && unavailableMessages.test(c.message)) return true;
    // AggregateError of a connect to several addresses
    if (Array.isArray(c.errors) && c.errors.some((x) => isDbUnavailable(x))) return true;
    e = c.cause;
  }
  return false;
}
