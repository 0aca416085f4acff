import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../testing/use-test-database.ts';
import { generateDemoData } from './generate.ts';

describe('generateDemoData', () => {
  const t = useTestDatabase();
  const q = async <R>(text: string) => (await t.pool.query(text)).rows as R[];
  const one = async (text: string) => (await q<{ n: number }>(text))[0]!.n;

  it('generates transactions, attempts, timelines, exploder groups, DSNs and the rollup', async () => {
    const progress: number[] = [];
    const r = await generateDemoData(t.db, {
      transactions: 3000,
      senders: ['demo-a', 'demo-b', 'demo-c'],
      batch: 1000,
      onProgress: (done) => progress.push(done),
    });
    expect(progress).toEqual([1000, 2000, 3000]);
    const total = await one('select count(*)::int as n from transactions');
    expect(r.transactions).toBe(total);
    const parents = await one(
      "select count(*)::int as n from transactions where id in (select parent_id from transactions where metadata ? 'exploded_from')",
    );
    const dsns = await one(
      "select count(*)::int as n from transactions where metadata ? 'dsn_for'",
    );
    // 4 of every 250 rows are exploded children: groups of four under one parent.
    expect(parents).toBe(
      await one(
        "select count(distinct parent_id)::int as n from transactions where metadata ? 'exploded_from'",
      ),
    );
    expect(parents).toBe(3000 / 250);
    expect(dsns).toBeGreaterThan(0);
    expect(total).toBe(3000 + parents + dsns);
    // Each staged transaction's attempts match its attempt_count.
    expect(
      await one(`select count(*)::int as n from transactions t
        where t.attempt_count <> (select count(*) from attempts a where a.transaction_id = t.id)`),
    ).toBe(0);
    expect(r.attempts).toBe(await one('select count(*)::int as n from attempts'));
    expect(r.events).toBe(await one('select count(*)::int as n from events'));
    // Nothing is stuck: every queued one has a next attempt; finals have a reason and time.
    expect(
      await one(
        "select count(*)::int as n from transactions where status = 'queued' and next_attempt_at is null",
      ),
    ).toBe(0);
    expect(
      await one(`select count(*)::int as n from transactions
        where status in ('delivered', 'failed', 'cancelled')
          and (final_attempt_reason is null or finished_at is null)`),
    ).toBe(0);
    const statuses = await q<{ status: string }>('select distinct status from transactions');
    expect(statuses.map((s) => s.status).sort()).toEqual([
      'cancelled',
      'delivered',
      'failed',
      'held',
      'queued',
    ]);
    // Several domains, skewed: gmail.com is the largest.
    const domains = await q<{
      d: string;
      n: number;
    }>(`select (koukan_rcpt_domains(rcpt_addresses))[1] as d,
      count(*)::int as n from transactions group by 1 order by 2 desc limit 3`);
    expect(domains[0]!.d).toBe('gmail.com');
    // Message-IDs are unique (children share their parent's: one message).
    expect(
      await one(`select count(*)::int as n from (select message_id from transactions
        where parent_id is null or metadata ? 'dsn_for' group by 1 having count(*) > 1) d`),
    ).toBe(0);
    // Timelines start with `created` (the order the detail page shows).
    expect(
      await one(`select count(*)::int as n from (select distinct on (transaction_id) type
        from events order by transaction_id, id) f where type <> 'created'`),
    ).toBe(0);
    // The rollup counted the new events: every accept, delivery and deferral.
    const rolled = await q<{ outcome: string; n: number }>(
      'select outcome, sum(count)::int as n from delivery_rollup group by 1',
    );
    const byOutcome = Object.fromEntries(rolled.map((x) => [x.outcome, x.n]));
    expect(byOutcome.accepted).toBe(
      await one("select count(*)::int as n from events where type = 'created'"),
    );
    expect(byOutcome.deferred).toBe(
      await one("select count(*)::int as n from events where type = 'retry_scheduled'"),
    );
    expect(byOutcome.delivered).toBe(
      await one(
        "select count(*)::int as n from events where type = 'final' and data->>'status' = 'delivered'",
      ),
    );
    expect(await one('select sum(count)::int as n from deferral_rollup')).toBe(byOutcome.deferred);
  }, 120_000);
});
