import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect as tcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PASSWORD_FILE, startEmbeddedPostgres } from './server.ts';

/** Issue 10 item 2: the embedded database is not open to every local process. */
describe('embedded PostgreSQL: password and idle transactions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'koukan-embedded-sec-'));
  // one in-memory server with short limits for the last two cases (PGlite starts slowly)
  let shared: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  const memory = async () => {
    shared ??= await startEmbeddedPostgres({ idleInTransactionMs: 300, authTimeoutMs: 300 });
    return shared;
  };
  afterAll(async () => {
    await shared?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const connect = async (url: string) => {
    const c = new pg.Client({ connectionString: url });
    c.on('error', () => {});
    await c.connect();
    return c;
  };
  const withPassword = (url: string, password: string | null) => {
    const u = new URL(url);
    u.password = password ?? '';
    return u.toString();
  };

  it('generates a password at first start, keeps it (0600, folder 0700) and refuses connections without it', async () => {
    const first = await startEmbeddedPostgres({ dataDir: dir });
    const file = join(dir, PASSWORD_FILE);
    const password = readFileSync(file, 'utf8');
    try {
      expect(password.length).toBeGreaterThanOrEqual(32);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(decodeURIComponent(new URL(first.url).password)).toBe(password);
      const ok = await connect(first.url);
      expect((await ok.query('select 1 as v')).rows).toEqual([{ v: 1 }]);
      await ok.end();
      await expect(connect(withPassword(first.url, null))).rejects.toThrow();
      await expect(connect(withPassword(first.url, 'wrong-password'))).rejects.toThrow(
        /password authentication failed/,
      );
    } finally {
      await first.stop();
    }
    // the same password after a restart
    const second = await startEmbeddedPostgres({ dataDir: dir });
    try {
      expect(decodeURIComponent(new URL(second.url).password)).toBe(password);
      const c = await connect(second.url);
      await c.end();
    } finally {
      await second.stop();
    }
  }, 240_000); // two PGlite starts from a folder

  it('ends a transaction left idle so it cannot hold the single session', async () => {
    const server = await memory();
    const other = await connect(server.url);
    try {
      await other.query('create table t (v text)');
      const idle = await connect(server.url);
      const closed = new Promise<void>((resolve) => idle.once('end', () => resolve()));
      await idle.query('begin');
      await idle.query('insert into t values ($1)', ['never committed']);
      // `idle` now sits in its transaction: the other connection still gets its turn
      const { rows } = await other.query<{ n: number }>('select count(*)::int as n from t');
      expect(rows[0]!.n).toBe(0);
      await closed;
      await expect(idle.query('commit')).rejects.toThrow();
      await other.query('insert into t values ($1)', ['later']);
      expect((await other.query('select v from t')).rows).toEqual([{ v: 'later' }]);
    } finally {
      await other.end();
    }
  });

  it('a client that never finishes the handshake is dropped', async () => {
    const server = await memory();
    {
      const socket = tcp(server.port, '127.0.0.1');
      socket.on('error', () => {});
      let received = '';
      socket.on('data', (d: Buffer) => {
        received += d.toString('latin1');
      });
      await new Promise((r) => socket.once('connect', r));
      socket.write(Buffer.from([0, 0, 0, 40])); // the start of a startup packet, then nothing
      await new Promise((r) => socket.once('close', r));
      expect(received).toContain('authentication timed out');
      // the server still serves
      const c = await connect(server.url);
      await c.end();
    }
  });
});
