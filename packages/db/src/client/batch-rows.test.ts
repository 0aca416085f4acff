import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../testing/use-test-database.ts';
import { createDb } from './create-db.ts';

const t = useTestDatabase();

describe('koukan_batch_rows (drizzle/0022)', () => {
  it('gives the elements of a batch in order, none for an empty or null batch', async () => {
    const { rows } = await t.pool.query<{ id: number; name: string }>(
      `select x.* from koukan_batch_rows($1::jsonb) as batch_row(v),
         jsonb_to_record(batch_row.v) as x(id int, name text)`,
      [JSON.stringify([{ id: 2, name: 'b' }, { id: 1, name: 'a' }, { id: 3 }])],
    );
    expect(rows).toEqual([
      { id: 2, name: 'b' },
      { id: 1, name: 'a' },
      { id: 3, name: null },
    ]);
    for (const batch of ['[]', null]) {
      const none = await t.pool.query('select * from koukan_batch_rows($1::jsonb)', [batch]);
      expect(none.rows).toEqual([]);
    }
  });

  it('is planned as a few rows, not the 100 of jsonb_to_recordset', async () => {
    const plan = async (from: string) => {
      const { rows } = await t.pool.query<{ 'QUERY PLAN': unknown }>(
        `explain (format json) select * from ${from}`,
      );
      return (rows[0]!['QUERY PLAN'] as [{ Plan: { 'Plan Rows': number } }])[0].Plan['Plan Rows'];
    };
    expect(await plan(`koukan_batch_rows('[{"a":1}]'::jsonb)`)).toBe(4);
    expect(await plan(`jsonb_to_recordset('[{"a":1}]'::jsonb) as x(a int)`)).toBe(100);
  });
});

// The embedded server is one session: a new connection there is not told apart by its pid.
describe.skipIf(!process.env.DATABASE_URL)('the pool', () => {
  it('replaces a connection after its lifetime, so its statements are planned again', async () => {
    const handle = createDb({ url: t.url, poolSize: 1, maxLifetimeSeconds: 1 });
    try {
      const pid = async () =>
        (await handle.pool.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      const first = await pid();
      expect(await pid()).toBe(first);
      await new Promise((r) => setTimeout(r, 1_300));
      expect(await pid()).not.toBe(first);
    } finally {
      await handle.close();
    }
  });
});
