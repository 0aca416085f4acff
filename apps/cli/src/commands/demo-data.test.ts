import { Writable } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '@koukan/db/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../env.ts';
import { demoData } from './demo-data.ts';

function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('koukan demo-data', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  }, 120_000);
  afterAll(() => t?.destroy());

  it('generates the requested transactions for the given senders', async () => {
    const env = loadEnv({ DATABASE_URL: t.url });
    const out = sink();
    const code = await demoData(
      env,
      pino({ level: 'silent' }),
      ['--transactions', '500', '--senders', 'cli-a,cli-b', '--batch', '250'],
      out.stream,
    );
    expect(code).toBe(0);
    expect(out.text()).toMatch(/^generated \d+ transactions .* for cli-a, cli-b in /);
    const { rows } = await t.pool.query<{ name: string; n: number }>(
      `select s.name, count(*)::int as n from transactions t join senders s on s.id = t.sender_id
       where t.parent_id is null or t.metadata ? 'exploded_from' group by 1 order by 1`,
    );
    expect(rows.map((r) => r.name)).toEqual(['cli-a', 'cli-b']);
    expect(rows.reduce((a, r) => a + r.n, 0)).toBe(500 + 2); // + 2 exploder parents
  }, 120_000);

  it('refuses bad arguments with usage, touching nothing', async () => {
    const env = loadEnv({ DATABASE_URL: t.url });
    const silent = pino({ level: 'silent' });
    expect(await demoData(env, silent, ['--transactions', 'many'])).toBe(2);
    expect(await demoData(env, silent, [])).toBe(2);
    expect(await demoData(env, silent, ['--transactions', '5', '--senders', 'bad name'])).toBe(2);
    expect(await demoData(env, silent, ['--transactions', '5', '--bogus', '1'])).toBe(2);
  });
});
