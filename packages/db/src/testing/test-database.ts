import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb, type DbHandle } from '../client/create-db.ts';
import { migrate } from '../client/migrate.ts';
import { startEmbeddedPostgres } from '../embedded/server.ts';

export interface TestDatabase extends DbHandle {
  url: string;
  /** 'postgres' against DATABASE_URL, 'embedded' on a private in-memory PGlite. */
  kind: 'postgres' | 'embedded';
  destroy(): Promise<void>;
}

/**
 * A migrated database of its own for one test file, so files run in parallel without
 * interfering: a fresh database on the server of `DATABASE_URL` when it is set (dropped
 * afterwards), else a private in-memory embedded PostgreSQL.
 */
export async function createTestDatabase(
  options: { poolSize?: number; migrate?: boolean; forceEmbedded?: boolean } = {},
): Promise<TestDatabase> {
  const base = options.forceEmbedded ? undefined : process.env.DATABASE_URL;
  let url: string;
  let cleanup: () => Promise<void>;
  if (base) {
    const name = `koukan_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const u = new URL(base);
    u.pathname = `/${name}`;
    url = u.toString();
    cleanup = async () => {
      const a = new pg.Client({ connectionString: base });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    };
  } else {
    const embedded = await startEmbeddedPostgres();
    url = embedded.url;
    cleanup = () => embedded.stop();
  }
  const handle = createDb({ url, poolSize: options.poolSize ?? 8 });
  if (options.migrate !== false) await migrate(handle.pool);
  return {
    ...handle,
    url,
    kind: base ? 'postgres' : 'embedded',
    async destroy() {
      await handle.close();
      await cleanup();
    },
  };
}
