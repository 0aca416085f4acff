import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, findApiKey, listSenders } from '@koukan/db';
import { createTestDatabase } from '@koukan/db/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, repoRoot, startStack } from './testing/stack.ts';

const seedKey = 'kk_SeedSeed01_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/**
 * Runs `koukan start` as `npm start` does, on `env`, and waits for its banner (one that exits
 * before fails with its output). Components are not started: their own suites cover them.
 * PGlite alone takes 20–110 s to start on a loaded 2-core machine.
 */
const startKoukan = (env: Record<string, string>) =>
  startStack({ env: { ...env, KOUKAN_COMPONENTS: 'none' }, readyTimeoutMs: 240_000 });

describe('koukan start', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'koukan-cli-'));
    dirs.push(d);
    return d;
  };

  it('comes up on the embedded database, stops cleanly, and keeps its data across a restart', async () => {
    const dir = tempDir();
    const env = { KOUKAN_DATA_DIR: join(dir, 'data') };
    const first = await startKoukan(env);
    const key = /\b(kk_\w{10}_[\w-]{43})\b/.exec(first.output())?.[1];
    expect(key).toBeDefined();
    // The banner masks the embedded database's password; its announcement file (0600) has it.
    const db1 = createDb({ url: first.databaseUrl(), poolSize: 1 });
    expect((await listSenders(db1.db)).map((s) => s.name).sort()).toEqual(
      ['sandbox', 'smtp-msa', 'smtp-msa-output', 'smtp-mx', 'smtp-mx-output', 'submission'].sort(),
    );
    expect((await findApiKey(db1.db, key!)).map((k) => k.sender.name)).toEqual(['sandbox']);
    await db1.close();
    expect(await first.stop('SIGINT'), first.output()).toBe(0);

    const second = await startKoukan(env);
    // Not a first start: no new key, no re-import; the old key still works.
    expect(second.output()).not.toMatch(/shown once/);
    const db2 = createDb({ url: second.databaseUrl(), poolSize: 1 });
    expect((await findApiKey(db2.db, key!)).length).toBe(1);
    const { rows } = await db2.pool.query(
      `select count(*)::int as n from api_keys k join senders s on s.id = k.sender_id where s.name = 'sandbox'`,
    );
    expect(rows[0].n).toBe(1);
    // The gateway's internal smtp-mx key is renewed at each start; only the newest one is live.
    const mx = await db2.pool.query(
      `select count(*) filter (where revoked_at is null)::int as live, count(*)::int as total
         from api_keys k join senders s on s.id = k.sender_id where s.name = 'smtp-mx'`,
    );
    expect(mx.rows[0]).toEqual({ live: 1, total: 2 });
    await db2.close();
    expect(await second.stop(), second.output()).toBe(0);
  }, 600_000);

  it('imports KOUKAN_CONFIG at every start and registers KOUKAN_SEED_API_KEY on the database of DATABASE_URL', async () => {
    const t = await createTestDatabase({ migrate: false });
    try {
      const dir = tempDir();
      const file = join(dir, 'koukan.yaml');
      const config = (description: string) =>
        `sender:\n  - name: submission\n    output_chain: out\n    description: ${description}\n  - name: sandbox\n    output_chain: out\nchain:\n  - name: out\n    filters:\n      - filter: sandbox\n`;
      writeFileSync(file, config('first'));
      const env = { KOUKAN_CONFIG: file, KOUKAN_SEED_API_KEY: seedKey, DATABASE_URL: t.url };
      const first = await startKoukan(env);
      expect(await first.stop(), first.output()).toBe(0);
      expect((await findApiKey(t.db, seedKey)).map((k) => k.sender.name).sort()).toEqual([
        'sandbox',
        'submission',
      ]);
      writeFileSync(file, config('second'));
      const second = await startKoukan(env);
      expect(await second.stop(), second.output()).toBe(0);
      const { rows } = await t.pool.query(
        `select description, version from senders where name = 'submission'`,
      );
      expect(rows).toEqual([{ description: 'second', version: 2 }]);
    } finally {
      await t.destroy();
    }
  }, 600_000);

  it('refuses an invalid configuration file with the offending path and a non-zero exit', async () => {
    const t = await createTestDatabase({ migrate: false });
    try {
      const file = join(tempDir(), 'bad.yaml');
      writeFileSync(file, 'sender:\n  - name: Bad Name\n');
      const child = spawn(process.execPath, ['--import', 'tsx', 'apps/cli/src/main.ts', 'start'], {
        cwd: repoRoot,
        env: {
          ...cleanEnv(),
          KOUKAN_EMBEDDED_DB_PORT: '0',
          LOG_LEVEL: 'warn',
          KOUKAN_CONFIG: file,
          DATABASE_URL: t.url,
        },
      });
      let err = '';
      child.stderr.on('data', (d) => {
        err += d;
      });
      const code = await new Promise((resolve) => child.on('exit', resolve));
      expect(code).toBe(1);
      expect(err).toContain('sender[0].name');
    } finally {
      await t.destroy();
    }
  });
});
