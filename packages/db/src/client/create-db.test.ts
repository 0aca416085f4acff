import pg from 'pg';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../testing/use-test-database.ts';
import { createDb } from './create-db.ts';
import { isDbUnavailable } from './errors.ts';

const t = useTestDatabase({ migrate: false });

describe('createDb', () => {
  it('reads int8 as a number in its own pool only, not process-wide', async () => {
    const { rows } = await t.pool.query<{ n: unknown }>('select count(*) as n from pg_class');
    expect(typeof rows[0]!.n).toBe('number');
    const plain = new pg.Client({ connectionString: t.url });
    await plain.connect();
    try {
      const other = await plain.query<{ n: unknown }>('select 9007199254740993::int8 as n');
      // Another pg user in the process keeps pg's default: an exact string.
      expect(other.rows[0]!.n).toBe('9007199254740993');
    } finally {
      await plain.end();
    }
  });

  // Terminating another backend needs a real PostgreSQL (the embedded one is single-session).
  it.skipIf(!process.env.DATABASE_URL)(
    'logs an idle connection that the server closed, and keeps serving',
    async () => {
      const lines: { msg?: string; application?: string }[] = [];
      const logger = pino(
        { level: 'warn' },
        { write: (line: string) => lines.push(JSON.parse(line)) },
      );
      const handle = createDb({ url: t.url, poolSize: 1, logger, applicationName: 'lost-conn' });
      try {
        const { rows } = await handle.pool.query<{ pid: number }>('select pg_backend_pid() as pid');
        await t.pool.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
        await expect
          .poll(() => lines.find((l) => l.msg === 'database connection lost'))
          .toMatchObject({ application: 'lost-conn' });
        const again = await handle.pool.query<{ one: number }>('select 1 as one');
        expect(again.rows[0]!.one).toBe(1);
      } finally {
        await handle.close();
      }
    },
  );

  it.skipIf(!process.env.DATABASE_URL)(
    'survives losing a checked-out connection mid-transaction; the error reads as unavailable',
    async () => {
      const lines: { msg?: string }[] = [];
      const logger = pino(
        { level: 'warn' },
        { write: (line: string) => lines.push(JSON.parse(line)) },
      );
      const handle = createDb({ url: t.url, poolSize: 1, logger });
      try {
        const client = await handle.pool.connect();
        await client.query('begin');
        const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
        // the server goes away between two statements of the transaction (no query running)
        await t.pool.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
        await expect.poll(() => lines.some((l) => l.msg === 'database connection lost')).toBe(true);
        const err = await client.query('select 1').catch((e: unknown) => e);
        expect(isDbUnavailable(err)).toBe(true);
        client.release();
        const again = await handle.pool.query<{ one: number }>('select 1 as one');
        expect(again.rows[0]!.one).toBe(1);
      } finally {
        await handle.close();
      }
    },
  );

  it('tells an unreachable database from a bad statement', async () => {
    const down = createDb({ url: 'postgres://postgres@127.0.0.1:1/none', poolSize: 1 });
    try {
      expect(isDbUnavailable(await down.pool.query('select 1').catch((e: unknown) => e))).toBe(
        true,
      );
    } finally {
      await down.close();
    }
    const syntax = await t.pool.query('selec 1').catch((e: unknown) => e);
    expect(isDbUnavailable(syntax)).toBe(false);
    expect(isDbUnavailable(new Error('x', { cause: { code: '57P01' } }))).toBe(true);
  });
});
