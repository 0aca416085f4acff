import { claimTransactions, getTransaction, listAudit } from '@koukan/db';
import type { Transaction } from '@koukan/db/schema';
import { describe, expect, it, vi } from 'vitest';
import { runTransactionAction } from '../console/actions.ts';
import { generateQueue } from '../queue/testing.ts';
import { useTestDatabase } from '../testing/database.ts';
import { makeSender, makeTransaction } from '../testing/fixtures.ts';
import { applyBulkAction } from './bulk.ts';
import { countBulkAction } from './bulk-count.ts';
import type { BulkActionName } from './bulk-schemas.ts';

const { t, ctx } = useTestDatabase('user:ops@example.com');

const full = (i: number) => ({ code: 452, message: `4.2.2 mailbox full (${i} bytes)` });
const fullPattern = '4.2.2 mailbox full (# bytes)';

async function statusCounts(senderId: string) {
  const { rows } = await t.pool.query<{ status: string; n: number }>(
    'select status, count(*)::int as n from transactions where sender_id = $1 group by 1 order by 1',
    [senderId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

async function eventCount(bulkId: string) {
  const { rows } = await t.pool.query<{ n: number }>(
    `select count(*)::int as n from events where data ->> 'bulk_id' = $1`,
    [bulkId],
  );
  return rows[0]!.n;
}

describe('bulk actions on a generated set', () => {
  it('counts, then holds a whole group in batches, with one audit entry', async () => {
    const s = await makeSender(t.db);
    await generateQueue(t.db, s.id, [
      { count: 2500, domain: 'full.example', reply: full },
      { count: 300, domain: 'other.example', reply: full },
    ]);
    const selection = {
      filter: {
        sender: s.name,
        domain: 'full.example',
        reply_code: 452,
        reply_pattern: fullPattern,
      },
    };
    expect(await countBulkAction({ ctx, input: { action: 'hold', selection } })).toEqual({
      matched: 2500,
      touches: 2500,
      inflight: 0,
    });
    const result = await applyBulkAction({
      ctx,
      input: { action: 'hold', selection, batch_size: 1000 },
    });
    expect(result).toMatchObject({ touches: 2500, applied: 2500, batches: 3 });
    expect(await statusCounts(s.id)).toEqual({ held: 2500, queued: 300 });
    expect(await eventCount(result.bulkId)).toBe(2500);
    const audit = (await listAudit(t.db, { limit: 10 })).filter(
      (a) => a.details.bulk_id === result.bulkId,
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: 'user:ops@example.com',
      action: 'transaction.hold.bulk',
      details: { selection, touches: 2500, applied: 2500, batches: 3 },
    });
    // Releasing the held queue of that sender, by filter.
    const released = await applyBulkAction({
      ctx,
      input: { action: 'release', selection: { filter: { sender: s.name, queue: 'held' } } },
    });
    expect(released).toMatchObject({ applied: 2500, batches: 1 });
    expect(await statusCounts(s.id)).toEqual({ queued: 2800 });
  });

  it('applies batches side by side: every row once, one event each', async () => {
    const s = await makeSender(t.db);
    await generateQueue(t.db, s.id, [{ count: 2500, domain: 'wide.example' }]);
    const result = await applyBulkAction({
      ctx,
      input: {
        action: 'hold',
        selection: { filter: { sender: s.name } },
        batch_size: 400,
        concurrency: 3,
      },
    });
    // Rounds of 3 × 400: 1200, 1200, then 100 in one batch.
    expect(result).toMatchObject({ touches: 2500, applied: 2500, batches: 7 });
    expect(await statusCounts(s.id)).toEqual({ held: 2500 });
    const { rows } = await t.pool.query<{ n: number; distinct_n: number }>(
      `select count(*)::int as n, count(distinct transaction_id)::int as distinct_n
       from events where data ->> 'bulk_id' = $1`,
      [result.bulkId],
    );
    expect(rows[0]).toEqual({ n: 2500, distinct_n: 2500 });
  });

  it('fails loudly half-way: the failing batch is rolled back whole, the audit says so', async () => {
    const s = await makeSender(t.db);
    const ids = (await generateQueue(t.db, s.id, [{ count: 2500, domain: 'x.example' }])).sort();
    // A real statement error in the second batch (ids 1000–1999): this row refuses updates.
    const victim = ids[1500]!;
    await t.pool.query(`
      create function fail_once() returns trigger language plpgsql as $$
      begin raise exception 'injected failure on %', new.id; end $$;
      create trigger fail_once before update on transactions for each row
        when (old.id = '${victim}') execute function fail_once();`);
    try {
      const err = await applyBulkAction({
        ctx,
        input: { action: 'cancel', selection: { filter: { sender: s.name } }, batch_size: 1000 },
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: 'internal',
        extra: { applied: 1000, touches: 2500, batches: 1 },
      });
      expect((err as Error).message).toMatch(/failed after 1000 of 2500 .*injected failure/);
      // Batch one (applied beside the failing one) stays; batch two not at all (not even the
      // rows before the victim); the third was never started.
      const { rows } = await t.pool.query<{ id: string; status: string }>(
        'select id, status from transactions where sender_id = $1 order by id',
        [s.id],
      );
      expect(rows.slice(0, 1000).every((r) => r.status === 'cancelled')).toBe(true);
      expect(rows.slice(1000).every((r) => r.status === 'queued')).toBe(true);
      const bulkId = (err as { extra: { bulk_id: string } }).extra.bulk_id;
      expect(await eventCount(bulkId)).toBe(1000);
      const [audit] = (await listAudit(t.db, { limit: 10 })).filter(
        (a) => a.details.bulk_id === bulkId,
      );
      expect(audit!.details).toMatchObject({ applied: 1000, batches: 1 });
      expect(audit!.details.error).toMatch(/injected failure/);
    } finally {
      await t.pool.query('drop trigger fail_once on transactions; drop function fail_once()');
    }
  });

  it('cancels in-flight messages by flag only, and never holds them', async () => {
    const s = await makeSender(t.db);
    const queued = await makeTransaction(t.db, s.id);
    const flying = await makeTransaction(t.db, s.id);
    await claimTransactions(t.db, { owner: s.id, leaseMs: 60_000, limit: 1, id: flying.id });
    const selection = { ids: [queued.id, flying.id] };
    expect(await countBulkAction({ ctx, input: { action: 'hold', selection } })).toEqual({
      matched: 2,
      touches: 1,
      inflight: 1,
    });
    expect(await countBulkAction({ ctx, input: { action: 'cancel', selection } })).toEqual({
      matched: 2,
      touches: 2,
      inflight: 1,
    });
    const r = await applyBulkAction({ ctx, input: { action: 'cancel', selection } });
    expect(r).toMatchObject({ touches: 2, applied: 2 });
    expect(await getTransaction(t.db, queued.id)).toMatchObject({ status: 'cancelled' });
    const f = (await getTransaction(t.db, flying.id))!;
    expect(f).toMatchObject({ status: 'inflight', leaseOwner: s.id });
    expect(f.cancelRequestedAt).not.toBeNull();
  });

  // A lock held by another open transaction, seen in pg_stat_activity: a real PostgreSQL only
  // (the embedded one serves one connection at a time and keeps no pg_stat_activity).
  it.skipIf(!process.env.DATABASE_URL)(
    'leaves out a row the engine claims while the batch runs (waits, then re-checks it)',
    async () => {
      const s = await makeSender(t.db);
      const ids = await generateQueue(t.db, s.id, [{ count: 50, domain: 'race.example' }]);
      const claimed = ids[7]!;
      // The engine's claim, in a transaction still open when the bulk hold reaches the row.
      const engine = await t.pool.connect();
      try {
        await engine.query('begin');
        await engine.query(
          `update transactions set status = 'inflight', next_attempt_at = null where id = $1`,
          [claimed],
        );
        const hold = applyBulkAction({
          ctx,
          input: { action: 'hold', selection: { filter: { sender: s.name } } },
        });
        // The bulk statement is blocked on that row's lock.
        await vi.waitFor(
          async () => {
            const { rows } = await t.pool.query<{ n: number }>(
              `select count(*)::int as n from pg_stat_activity
             where datname = current_database() and wait_event_type = 'Lock'
               and query like '%with target as%'`,
            );
            expect(rows[0]!.n).toBe(1);
          },
          { timeout: 30_000, interval: 20 },
        );
        await engine.query('commit');
        expect(await hold).toMatchObject({ touches: 50, applied: 49 });
      } finally {
        engine.release();
      }
      expect(await statusCounts(s.id)).toEqual({ held: 49, inflight: 1 });
    },
  );

  it('rejects a bad selection by field', async () => {
    await expect(
      countBulkAction({
        ctx,
        input: { action: 'cancel', selection: { filter: { queue: 'any' } } },
      }),
    ).rejects.toMatchObject({
      code: 'bad_request',
      details: [{ field: 'selection.filter.queue' }],
    });
    await expect(
      applyBulkAction({ ctx, input: { action: 'hold', selection: { ids: ['nope'] } } }),
    ).rejects.toMatchObject({ code: 'bad_request' });
    await expect(
      countBulkAction({ ctx, input: { action: 'explode', selection: { ids: [] } } }),
    ).rejects.toMatchObject({
      code: 'bad_request',
      details: expect.arrayContaining([{ field: 'action', message: expect.any(String) }]),
    });
  });
});

describe('bulk and single actions follow the same rules', () => {
  const comparable = (x: Transaction) => ({
    status: x.status,
    nextAttemptAt: x.nextAttemptAt?.getTime() ?? null,
    finalAttemptReason: x.finalAttemptReason,
    finishedAt: x.finishedAt?.getTime() ?? null,
    cancelRequestedAt: x.cancelRequestedAt?.getTime() ?? null,
    version: x.version,
  });
  const starts = ['queued', 'held', 'inflight', 'delivered'] as const;

  for (const action of ['hold', 'release', 'retry_now', 'cancel'] as BulkActionName[]) {
    it(`${action}`, async () => {
      const now = new Date(Math.floor(Date.now() / 1000) * 1000);
      const c = { ...ctx, now: () => now };
      const s = await makeSender(t.db);
      const nextAttemptAt = new Date(now.getTime() + 60_000);
      for (const status of starts) {
        const [a, b] = await Promise.all([
          makeTransaction(t.db, s.id, { status, nextAttemptAt }),
          makeTransaction(t.db, s.id, { status, nextAttemptAt }),
        ]);
        const single = await runTransactionAction({ ctx: c, input: { id: a!.id, action } }).then(
          async () => comparable((await getTransaction(t.db, a!.id))!),
          (e: { code: string }) => e.code,
        );
        const bulk = await applyBulkAction({
          ctx: c,
          input: { action, selection: { ids: [b!.id] } },
        });
        const after = comparable((await getTransaction(t.db, b!.id))!);
        if (single === 'conflict') {
          expect(bulk.applied, `${action} from ${status}`).toBe(0);
          expect(after.version).toBe(b!.version);
        } else {
          expect(bulk.applied).toBe(1);
          expect(after, `${action} from ${status}`).toEqual(single);
        }
      }
    });
  }
});
