import { readMigrationFiles } from 'drizzle-orm/migrator';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../testing/use-test-database.ts';
import { isDbError, withDbErrors } from './errors.ts';
import { migrationsFolder } from './migrate.ts';

// Migration 0018 on data written before it: reference rows from body_blob_id and the
// message-builder JSON, counts recomputed from them (whatever the hand-kept count said), and a
// sender's dangling output_chain cleared before the foreign key is added.

const t = useTestDatabase({ migrate: false });
const migrations = readMigrationFiles({ migrationsFolder });
const at = migrations.findIndex((m) =>
  m.sql.some((s) => s.includes('CREATE TABLE transaction_blobs')),
);

async function run(ms: typeof migrations) {
  for (const m of ms) for (const s of m.sql) if (s.trim()) await t.pool.query(s);
}

beforeAll(async () => {
  expect(at).toBeGreaterThan(0);
  await run(migrations.slice(0, at));
});

describe('migration 0018 (blob references, output chain)', () => {
  it('turns body ids, part ids and hand-kept counts into reference rows and derived counts', async () => {
    const q = async (text: string, values: unknown[] = []) =>
      (await t.pool.query(text, values)).rows;
    await q(`insert into chains (name, filters) values ('real', '[]')`);
    const [sender] = await q(
      `insert into senders (name, output_chain) values ('s', 'real') returning id`,
    );
    await q(`insert into senders (name, output_chain) values ('ghost', 'nowhere')`);
    // Counts as the code left them: wrong on purpose (a double decrement clamped at 0, a leak).
    const blob = async (refCount: number) =>
      (await q('insert into blobs (ref_count) values ($1) returning id', [refCount]))[0]
        .id as string;
    const [body, part, shared, orphan, copy] = [
      await blob(5),
      await blob(0),
      await blob(0),
      await blob(1),
      await blob(0),
    ];
    const tx = async (bodyBlobId: string | null, spec: unknown = null) =>
      (
        await q(
          `insert into transactions (sender_id, mail_from, rcpt_to, rcpt_addresses, body_blob_id, body_spec)
           values ($1, '{"m":""}', '[]', '{}', $2, $3) returning id`,
          [sender.id, bodyBlobId, spec && JSON.stringify(spec)],
        )
      )[0].id as string;
    const t1 = await tx(body);
    const t2 = await tx(null, {
      blobs: [{ blob_id: part }, { blob_id: part }, { create_id: 'x' }],
    });
    const t3 = await tx(shared);
    const t4 = await tx(shared);
    await q(
      `insert into sandbox_messages (mailbox, sender, mail_from, rcpt_to, blob_id)
       values ('m', 's', 'a@b', '{}', $1)`,
      [copy],
    );

    await run(migrations.slice(at, at + 1));

    const refs = await q('select transaction_id, blob_id from transaction_blobs order by 1, 2');
    expect(refs).toEqual(
      [
        { transaction_id: t1, blob_id: body },
        { transaction_id: t2, blob_id: part },
        { transaction_id: t3, blob_id: shared },
        { transaction_id: t4, blob_id: shared },
      ].sort(
        (a, b) =>
          a.transaction_id.localeCompare(b.transaction_id) || a.blob_id.localeCompare(b.blob_id),
      ),
    );
    const counts = Object.fromEntries(
      (await q('select id, ref_count from blobs')).map((r) => [r.id, r.ref_count]),
    );
    expect(counts).toEqual({ [body]: 1, [part]: 1, [shared]: 2, [orphan]: 0, [copy]: 1 });
    expect(await q(`select name, output_chain from senders order by name`)).toEqual([
      { name: 'ghost', output_chain: null },
      { name: 's', output_chain: 'real' },
    ]);
    // From now on the database keeps the count, and the references.
    await q('delete from transactions where id = $1', [t3]);
    expect((await q('select ref_count from blobs where id = $1', [shared]))[0].ref_count).toBe(1);
    await expect(
      q(`update senders set output_chain = 'nowhere' where name = 's'`),
    ).rejects.toMatchObject({
      code: '23503',
    });
    await q(`update chains set name = 'renamed' where name = 'real'`);
    expect((await q(`select output_chain from senders where name = 's'`))[0].output_chain).toBe(
      'renamed',
    );
    // ON DELETE RESTRICT: 23503 on PostgreSQL 15, 23001 (restrict_violation) on 17 and the
    // embedded one; the code's errors name both the same way.
    const refused = await withDbErrors(() => q(`delete from chains where name = 'renamed'`)).catch(
      (e) => e,
    );
    expect(isDbError(refused, 'foreign_key_violation')).toBe(true);
    expect(refused.constraint).toBe('senders_output_chain_fkey');
  });
});
