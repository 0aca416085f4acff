import { readMigrationFiles } from 'drizzle-orm/migrator';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/index.ts';
import { isMigrated, migrate, migrationsFolder } from './migrate.ts';

async function schemaSnapshot(t: TestDatabase) {
  const tables = await t.pool.query<{ table_name: string }>(
    `select table_name from information_schema.tables where table_schema = 'public' order by 1`,
  );
  const indexes = await t.pool.query<{ indexname: string }>(
    `select indexname from pg_indexes where schemaname = 'public' order by 1`,
  );
  const applied = await t.pool.query<{ n: number }>(
    'select count(*)::int as n from drizzle.__drizzle_migrations',
  );
  return {
    tables: tables.rows.map((r) => r.table_name),
    indexes: indexes.rows.map((r) => r.indexname),
    applied: applied.rows[0]!.n,
  };
}

async function checkMigrations(t: TestDatabase) {
  expect(await isMigrated(t.pool)).toBe(false);
  await migrate(t.pool);
  expect(await isMigrated(t.pool)).toBe(true);
  const first = await schemaSnapshot(t);
  expect(first.tables).toEqual(
    expect.arrayContaining([
      'senders',
      'api_keys',
      'chains',
      'chain_revisions',
      'transactions',
      'transaction_search',
      'attempts',
      'events',
      'blobs',
      'blob_chunks',
      'instances',
      'audit_log',
      'auth_users',
      'auth_sessions',
      'koukan_meta',
      'delivery_rollup',
      'deferral_rollup',
      'rollup_state',
    ]),
  );
  expect(first.indexes).toEqual(
    expect.arrayContaining([
      'transactions_due_idx',
      'transactions_sender_created_idx',
      'transactions_sender_idempotency_key',
      'transactions_status_created_idx',
      'transactions_sender_status_created_idx',
      'transactions_message_id_idx',
      'transaction_search_rcpt_domains_idx',
      'transaction_search_rcpt_trgm_idx',
      'transaction_search_mail_from_trgm_idx',
    ]),
  );
  // No GIN index on transactions (0020): a status change must not pay for one.
  expect(first.indexes.filter((i) => /^transactions_.*(rcpt|trgm)/.test(i))).toEqual([]);
  // pg_trgm is loaded (on PGlite too) and its operators work on the indexed expressions.
  const trgm = await t.pool.query<{ sim: number; domains: string[]; text: string }>(
    `select similarity('alice@example.com', 'alice@example.org') as sim,
       koukan_rcpt_domains(array['a@x.example', 'b@y.example', 'c@x.example']) as domains,
       koukan_rcpt_text(array['a@x.example', 'b@y.example']) as text`,
  );
  expect(trgm.rows[0]!.sim).toBeGreaterThan(0.3);
  expect(trgm.rows[0]!.sim).toBeLessThan(1);
  expect([...trgm.rows[0]!.domains].sort()).toEqual(['x.example', 'y.example']);
  expect(trgm.rows[0]!.text).toBe(' a@x.example b@y.example');
  expect(first.applied).toBeGreaterThan(0);
  // A second run (and a concurrent one) is a no-op.
  await Promise.all([migrate(t.pool), migrate(t.pool)]);
  expect(await schemaSnapshot(t)).toEqual(first);
}

describe('migrations', () => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.destroy()));
  });

  it('apply to an empty embedded database, and a second run is a no-op', async () => {
    const t = await createTestDatabase({ migrate: false, forceEmbedded: true });
    dbs.push(t);
    expect(t.kind).toBe('embedded');
    await checkMigrations(t);
  });

  // Needs a PostgreSQL server: CI sets DATABASE_URL; a machine with only Node.js has none.
  it.runIf(process.env.DATABASE_URL)(
    'apply to an empty real PostgreSQL database, and a second run is a no-op',
    async () => {
      const t = await createTestDatabase({ migrate: false });
      dbs.push(t);
      expect(t.kind).toBe('postgres');
      await checkMigrations(t);
    },
  );

  it('refuses to start when an applied migration was edited afterwards', async () => {
    const t = await createTestDatabase();
    dbs.push(t);
    // As if the file of the second migration changed after it ran: its recorded hash differs.
    const { rows } = await t.pool.query<{ created_at: number }>(
      'select created_at from drizzle.__drizzle_migrations order by created_at limit 1 offset 1',
    );
    await t.pool.query(
      `update drizzle.__drizzle_migrations set hash = 'edited-' || hash where created_at = $1`,
      [rows[0]!.created_at],
    );
    await expect(migrate(t.pool)).rejects.toThrow(/must never be edited/);
    // Nothing ran twice: the recorded migrations are unchanged.
    const after = await t.pool.query<{ n: number }>(
      'select count(*)::int as n from drizzle.__drizzle_migrations',
    );
    expect(after.rows[0]!.n).toBe(readMigrationFiles({ migrationsFolder }).length);
  });
});
