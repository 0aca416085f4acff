import 'server-only';
import { createDb, type DbHandle, TransactionWatcher } from '@koukan/db';
import { loadSecretKey, type SecretKey } from '@koukan/services';
import type { Logger } from 'pino';
import { type ConsoleEnv, consoleUrl, env, trustedOrigins } from '../env.ts';
import { type Auth, createAuth } from './auth/auth.ts';
import { readSecretFile } from './auth/secret.ts';
import { createLogger } from './logger.ts';

export interface Runtime {
  env: ConsoleEnv;
  logger: Logger;
  db: DbHandle;
  auth: Auth;
  watcher: TransactionWatcher;
  /** The secret store's key (KOUKAN_SECRETS_KEY or its file), when there is one. */
  secretKey: SecretKey | undefined;
}

const holder = globalThis as { koukanConsole?: Runtime };

/** The process's database pool, auth and watcher, made once (kept across dev hot reloads). */
export function runtime(): Runtime {
  if (holder.koukanConsole) return holder.koukanConsole;
  const e = env();
  const logger = createLogger(e.LOG_LEVEL);
  const secret = e.BETTER_AUTH_SECRET ?? readSecretFile(e.KOUKAN_DATA_DIR);
  if (!secret) {
    throw new Error(
      'BETTER_AUTH_SECRET is not set and no secret was generated: start with npm start',
    );
  }
  const db = createDb({
    url: e.DATABASE_URL,
    poolSize: e.KOUKAN_DB_POOL_SIZE,
    applicationName: 'koukan-console',
  });
  const auth = createAuth({
    db: db.db,
    secret,
    baseURL: consoleUrl(e),
    trustedOrigins: trustedOrigins(e),
    sessionTtlSeconds: Math.round(e.KOUKAN_SESSION_TTL_HOURS * 3600),
    logger,
  });
  const watcher = new TransactionWatcher({
    pool: db.pool,
    logger,
    pollIntervalMs: e.KOUKAN_CONSOLE_POLL_MS,
    applicationName: 'koukan-console-listen',
  });
  void watcher.start();
  const secretKey = loadSecretKey({ value: e.KOUKAN_SECRETS_KEY, file: e.KOUKAN_SECRETS_KEY_FILE });
  holder.koukanConsole = { env: e, logger, db, auth, watcher, secretKey };
  return holder.koukanConsole;
}
