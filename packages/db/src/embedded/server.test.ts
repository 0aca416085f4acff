import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from './server.ts';

describe('embedded PostgreSQL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'koukan-embedded-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves 8 concurrent connections doing interleaved transactions without losing a row', async () => {
    const server = await startEmbeddedPostgres();
    const pool = new pg.Pool({ connectionString: server.url, max: 8 });
    try {
      await pool.query('create table ledger (id serial primary key, worker int, n int, note text)');
      await pool.query('create table counter (id int primary key, value int not null)');
      await pool.query('insert into counter values (1, 0)');
      const workers = 8;
      const perWorker = 25;
      await Promise.all(
        Array.from({ length: workers }, async (_, w) => {
          const client = await pool.connect();
          try {
            for (let n = 0; n < perWorker; n++) {
              await client.query('begin');
              // Extended-protocol statements (parameters) interleaved with other connections'.
              await client.query('insert into ledger (worker, n, note) values ($1, $2, $3)', [
                w,
                n,
                `w${w}n${n}`,
              ]);
              const { rows } = await client.query<{ value: number }>(
                'select value from counter where id = 1',
              );
              await new Promise((r) => setImmediate(r));
              await client.query('update counter set value = $1 where id = 1', [
                rows[0]!.value + 1,
              ]);
              if (n % 5 === 4) {
                // Every fifth transaction is rolled back: its row must not appear.
                await client.query('insert into ledger (worker, n, note) values ($1, $2, $3)', [
                  w,
                  -n,
                  'rolled back',
                ]);
                await client.query('rollback');
                await client.query('begin');
                await client.query('insert into ledger (worker, n, note) values ($1, $2, $3)', [
                  w,
                  n + 1000,
                  'retry',
                ]);
                const again = await client.query<{ value: number }>(
                  'select value from counter where id = 1',
                );
                await client.query('update counter set value = $1 where id = 1', [
                  again.rows[0]!.value + 1,
                ]);
              }
              await client.query('commit');
            }
          } finally {
            client.release();
          }
        }),
      );
      const { rows } = await pool.query<{ worker: number; n: number; note: string }>(
        'select worker, n, note from ledger order by worker, n',
      );
      const expected: string[] = [];
      for (let w = 0; w < workers; w++) {
        for (let n = 0; n < perWorker; n++) {
          if (n % 5 === 4) expected.push(`w${w}:${n + 1000}:retry`);
          else expected.push(`w${w}:${n}:w${w}n${n}`);
        }
      }
      expect(rows.map((r) => `w${r.worker}:${r.n}:${r.note}`).sort()).toEqual(expected.sort());
      // Serialised transactions: the read-modify-write counter lost no increment.
      const counter = await pool.query<{ value: number }>('select value from counter');
      expect(counter.rows[0]!.value).toBe(workers * perWorker);
    } finally {
      await pool.end();
      await server.stop();
    }
  });

  it('rolls back the transaction of a connection that goes away mid-transaction', async () => {
    const server = await startEmbeddedPostgres();
    const other = new pg.Client({ connectionString: server.url });
    await other.connect();
    try {
      await other.query('create table t (v text)');
      const dying = new pg.Client({ connectionString: server.url });
      await dying.connect();
      dying.on('error', () => {});
      await dying.query('begin');
      await dying.query('insert into t values ($1)', ['never committed']);
      // The other connection waits for the turn; the drop must release it.
      const waiting = other.query<{ n: number }>('select count(*)::int as n from t');
      await dying.end();
      const { rows } = await waiting;
      expect(rows[0]!.n).toBe(0);
    } finally {
      await other.end();
      await server.stop();
    }
  });

  it('keeps its data across a restart', async () => {
    const first = await startEmbeddedPostgres({ dataDir: dir });
    const c1 = new pg.Client({ connectionString: first.url });
    await c1.connect();
    await c1.query('create table kept (v text)');
    await c1.query('insert into kept values ($1)', ['survives']);
    await c1.end();
    await first.stop();

    const second = await startEmbeddedPostgres({ dataDir: dir });
    const c2 = new pg.Client({ connectionString: second.url });
    await c2.connect();
    const { rows } = await c2.query('select v from kept');
    await c2.end();
    await second.stop();
    expect(rows).toEqual([{ v: 'survives' }]);
  });

  it('keeps prepared statements private to each connection, and drops them with it', async () => {
    const server = await startEmbeddedPostgres();
    const a = new pg.Client({ connectionString: server.url });
    const b = new pg.Client({ connectionString: server.url });
    try {
      await a.connect();
      await b.connect();
      // One name, two texts, on two connections at once (on a real server: two sessions).
      const run = (c: pg.Client, n: number) =>
        c.query<{ v: number }>({ name: 'same', text: `select $1::int + ${n} as v`, values: [1] });
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => run(i % 2 ? a : b, i % 2 ? 100 : 200)),
      );
      expect(results.map((r) => r.rows[0]!.v)).toEqual(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? 101 : 201)),
      );
      await a.end();
      const left = async () =>
        (await b.query<{ name: string }>('select name from pg_prepared_statements')).rows;
      await expect.poll(left).toHaveLength(1);
      expect((await left())[0]!.name).toMatch(/^same@\d+$/);
    } finally {
      await b.end().catch(() => {});
      await server.stop();
    }
  });
});
