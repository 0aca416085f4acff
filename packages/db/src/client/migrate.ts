import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type pg from 'pg';

// Not `new URL('../../drizzle', import.meta.url)`: bundlers (the console's Turbopack build) take
// that form for an asset import and fail on a folder.
export const migrationsFolder = join(dirname(fileURLToPath(import.meta.url)), '../../drizzle');

const MIGRATION_LOCK = 7357001;

/**
 * Applies the committed drizzle-kit SQL migrations that have not run yet, recording them in
 * drizzle's own table. Everything happens in one transaction that first takes a
 * transaction-scoped advisory lock, so replicas starting together apply each migration once,
 * and on the embedded server (one shared session, where advisory locks do not exclude) the
 * open transaction itself keeps other connections out. A second run is a no-op.
 */
export async function migrate(pool: pg.Pool): Promise<void> {
  const migrations = readMigrationFiles({ migrationsFolder });
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('create schema if not exists drizzle');
    await client.query(
      'create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)',
    );
    const { rows } = await client.query<{ hash: string; created_at: string | number }>(
      'select hash, created_at from drizzle.__drizzle_migrations',
    );
    const applied = new Set(rows.map((r) => r.hash));
    refuseEditedMigrations(migrations, rows);
    for (const m of migrations) {
      if (applied.has(m.hash)) continue;
      for (const statement of m.sql) {
        if (statement.trim()) await client.query(statement);
      }
      await client.query(
        'insert into drizzle.__drizzle_migrations (hash, created_at) values ($1, $2)',
        [m.hash, m.folderMillis],
      );
    }
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/**
 * An applied migration is recorded with its file's hash and journal time. A file whose time
 * was applied under another hash has been edited after it ran: running it again (or skipping
 * it) would leave the schema different from the code's, so refuse to start, loudly.
 */
function refuseEditedMigrations(
  migrations: ReturnType<typeof readMigrationFiles>,
  rows: { hash: string; created_at: string | number }[],
): void {
  const hashes = new Set(migrations.map((m) => m.hash));
  for (const m of migrations) {
    const row = rows.find((r) => Number(r.created_at) === m.folderMillis);
    if (row && row.hash !== m.hash && !hashes.has(row.hash)) {
      throw new Error(
        `migration with journal time ${m.folderMillis} was applied with hash ${row.hash.slice(0, 12)}… but its file now hashes to ${m.hash.slice(0, 12)}…: an applied migration must never be edited; add a new migration instead`,
      );
    }
  }
}

/** True when every committed migration has been applied (for readiness probes). */
export async function isMigrated(pool: pg.Pool): Promise<boolean> {
  const expected = readMigrationFiles({ migrationsFolder }).map((m) => m.hash);
  try {
    const { rows } = await pool.query<{ hash: string }>(
      'select hash from drizzle.__drizzle_migrations',
    );
    const applied = new Set(rows.map((r) => r.hash));
    return expected.every((h) => applied.has(h));
  } catch {
    return false;
  }
}
