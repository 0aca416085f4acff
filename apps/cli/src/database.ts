import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createDb, type DbHandle } from '@koukan/db';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '@koukan/db/embedded';
import type { Logger } from 'pino';
import type { CliEnv } from './env.ts';

export interface OpenDatabase {
  url: string;
  handle: DbHandle;
  /** Set when this process serves the embedded database. */
  embedded?: EmbeddedPostgres;
  close(): Promise<void>;
}

/** Where a running `koukan start` announces its embedded database to other commands. */
function announcementPath(env: CliEnv): string {
  return join(dirname(resolve(env.KOUKAN_DATA_DIR)), 'embedded.json');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs `fn` on the database `openDatabase` opens, and closes it afterwards. */
export async function withDatabase<T>(
  env: CliEnv,
  logger: Logger,
  fn: (handle: DbHandle, database: OpenDatabase) => Promise<T>,
): Promise<T> {
  const database = await openDatabase(env, logger);
  try {
    return await fn(database.handle, database);
  } finally {
    await database.close();
  }
}

/**
 * DATABASE_URL when set; else the embedded database of KOUKAN_DATA_DIR — served by a running
 * `koukan start` if there is one (PGlite's data folder must have a single owner), or started
 * here when `serve` is true or nobody serves it.
 */
export async function openDatabase(
  env: CliEnv,
  logger: Logger,
  options: { serve?: boolean } = {},
): Promise<OpenDatabase> {
  if (env.DATABASE_URL) {
    const handle = createDb({ url: env.DATABASE_URL, applicationName: 'koukan-cli' });
    return { url: env.DATABASE_URL, handle, close: () => handle.close() };
  }
  const announcement = announcementPath(env);
  if (existsSync(announcement)) {
    const running = JSON.parse(readFileSync(announcement, 'utf8')) as { pid: number; url: string };
    if (isAlive(running.pid) && running.pid !== process.pid) {
      if (options.serve) {
        throw new Error(
          `koukan is already running (pid ${running.pid}) on ${env.KOUKAN_DATA_DIR}; stop it first`,
        );
      }
      const handle = createDb({ url: running.url, applicationName: 'koukan-cli' });
      return { url: running.url, handle, close: () => handle.close() };
    }
  }
  const dataDir = resolve(env.KOUKAN_DATA_DIR);
  mkdirSync(dirname(dataDir), { recursive: true, mode: 0o700 });
  const embedded = await startEmbeddedPostgres({
    dataDir,
    port: options.serve ? env.KOUKAN_EMBEDDED_DB_PORT : 0,
  });
  logger.debug({ dataDir, port: embedded.port }, 'embedded PostgreSQL started');
  if (options.serve) {
    // the URL carries the database password: readable by this user only
    writeFileSync(announcement, JSON.stringify({ pid: process.pid, url: embedded.url }), {
      mode: 0o600,
    });
    chmodSync(announcement, 0o600);
  }
  const handle = createDb({ url: embedded.url, poolSize: 4, applicationName: 'koukan-cli' });
  return {
    url: embedded.url,
    handle,
    embedded,
    async close() {
      await handle.close();
      await embedded.stop();
      if (options.serve) rmSync(announcement, { force: true });
    },
  };
}
