import { insertTransaction, registerInstance } from '@koukan/db';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../testing/database.ts';
import { makeSender, makeTransaction } from '../testing/fixtures.ts';
import {
  getDashboard,
  getDashboardSeries,
  getQueueStats,
  getTopDeferralDomains,
  listRouterInstances,
} from './dashboard.ts';

// The dashboard's clock; the database's own now() only stamps heartbeats.
const now = new Date('2026-12-02T10:30:30Z');
const { t, ctx } = useTestDatabase('user:ops@example.com', { now: () => now });
let a: { id: string; name: string };
let b: { id: string; name: string };

beforeAll(async () => {
  a = await makeSender(t.db);
  b = await makeSender(t.db);
  const rollup = [
    ['2026-12-02T10:29:00Z', a.id, 'accepted', 3],
    ['2026-12-02T10:29:00Z', a.id, 'delivered', 2],
    ['2026-12-02T10:00:00Z', b.id, 'failed', 1],
    ['2026-12-02T09:00:00Z', a.id, 'deferred', 4],
    ['2026-11-20T09:00:00Z', a.id, 'accepted', 99],
  ];
  for (const [minute, sender, outcome, count] of rollup) {
    await t.pool.query('insert into delivery_rollup values ($1, $2, $3, $4)', [
      minute,
      sender,
      outcome,
      count,
    ]);
  }
  const deferrals = [
    ['slow.example', 421, '4.7.0', 'Try again later', 5],
    ['slow.example', 450, '4.2.0', 'Greylisted', 2],
    ['slow.example', 452, '4.2.2', 'Mailbox full', 1],
    ['other.example', 451, '4.3.0', 'Temporary failure', 3],
    ['slow.example', 0, '', 'connect ECONNREFUSED', 1],
  ];
  for (const [domain, code, enhanced, text, count] of deferrals) {
    await t.pool.query(
      `insert into deferral_rollup (minute, domain, reply_code, reply_enhanced, reply_text, count)
       values ('2026-12-02T10:10:00Z', $1, $2, $3, $4, $5)`,
      [domain, code, enhanced, text, count],
    );
  }
  await t.pool.query(
    `insert into deferral_rollup (minute, domain, reply_code, reply_text, count)
     values ('2026-11-01T10:10:00Z', 'old.example', 421, 'x', 1000)`,
  );
});

describe('dashboard', () => {
  it('series over 1 h: 60 one-minute buckets from the rollup', async () => {
    const s = await getDashboardSeries({ ctx, input: { range: '1h' } });
    expect(s.bucket_seconds).toBe(60);
    expect(s.points).toHaveLength(60);
    expect(s.points.at(-1)!.t).toBe('2026-12-02T10:30:00.000Z');
    expect(s.points.find((p) => p.t === '2026-12-02T10:29:00.000Z')).toMatchObject({
      accepted: 3,
      delivered: 2,
    });
    expect(s.totals).toEqual({ accepted: 3, delivered: 2, deferred: 0, failed: 1, cancelled: 0 });
  });

  it('series over 24 h and 7 d bucket by 15 min and 1 h; a sender filter narrows them', async () => {
    const day = await getDashboardSeries({ ctx, input: { range: '24h' } });
    expect(day.points).toHaveLength(96);
    expect(day.points.find((p) => p.t === '2026-12-02T10:15:00.000Z')).toMatchObject({
      accepted: 3,
      delivered: 2,
    });
    expect(day.totals).toMatchObject({ accepted: 3, deferred: 4, failed: 1 });
    const week = await getDashboardSeries({ ctx, input: { range: '7d' } });
    expect(week.points).toHaveLength(168);
    expect(week.totals.accepted).toBe(3);
    const onlyB = await getDashboardSeries({ ctx, input: { range: '24h', sender: b.name } });
    expect(onlyB.totals).toEqual({
      accepted: 0,
      delivered: 0,
      deferred: 0,
      failed: 1,
      cancelled: 0,
    });
    const nobody = await getDashboardSeries({ ctx, input: { range: '24h', sender: 'no-such' } });
    expect(nobody.totals.failed).toBe(0);
    await expect(getDashboardSeries({ ctx, input: { range: '2h' as '1h' } })).rejects.toMatchObject(
      {
        code: 'bad_request',
        details: [{ field: 'range' }],
      },
    );
  });

  it('queue depth and the oldest waiting message', async () => {
    const s = await makeSender(t.db);
    const old = await makeTransaction(t.db, s.id);
    await t.pool.query(
      `update transactions set created_at = now() - interval '90 minutes' where id = $1`,
      [old.id],
    );
    await makeTransaction(t.db, s.id, { nextAttemptAt: new Date(Date.now() + 3_600_000) });
    await makeTransaction(t.db, s.id, { status: 'held', nextAttemptAt: null });
    await makeTransaction(t.db, s.id, { status: 'inflight' });
    await insertTransaction(t.db, {
      senderId: s.id,
      mailFrom: { m: 'a@x.example' },
      rcptTo: [{ m: 'b@y.example' }],
    });
    await makeTransaction(t.db, s.id, { status: 'delivered', nextAttemptAt: null });
    const q = await getQueueStats({ ctx: { ...ctx, now: () => new Date() }, input: {} });
    expect(q).toMatchObject({ queued: 2, due_now: 1, inflight: 1, held: 1, awaiting_body: 1 });
    const { rows } = await t.pool.query('select created_at from transactions where id = $1', [
      old.id,
    ]);
    expect(q.oldest_waiting_created_at).toBe(rows[0].created_at.toISOString());
    expect(q.oldest_waiting_age_seconds).toBeGreaterThanOrEqual(5400);
    expect(q.oldest_waiting_age_seconds).toBeLessThan(5400 + 120);
  });

  it('top deferral domains in the window with their three commonest replies', async () => {
    const top = await getTopDeferralDomains({ ctx, input: { window: '24h' } });
    expect(top.map((d) => [d.domain, d.deferrals])).toEqual([
      ['slow.example', 9],
      ['other.example', 3],
    ]);
    expect(top[0]!.top_replies).toEqual([
      { code: 421, enhanced: '4.7.0', text: 'Try again later', count: 5 },
      { code: 450, enhanced: '4.2.0', text: 'Greylisted', count: 2 },
      { code: 0, enhanced: null, text: 'connect ECONNREFUSED', count: 1 },
    ]);
    expect(await getTopDeferralDomains({ ctx, input: { window: '24h', limit: 1 } })).toHaveLength(
      1,
    );
  });

  it('router replicas with their heartbeats, stale ones marked', async () => {
    const live = await registerInstance(t.db, { kind: 'router', version: '1.2.3' });
    const dead = await registerInstance(t.db, { kind: 'router' });
    const nowCtx = { ...ctx, now: () => new Date() };
    await t.pool.query(
      `update instances set heartbeat_at = now() - interval '5 minutes' where id = $1`,
      [dead.id],
    );
    const list = await listRouterInstances({ ctx: nowCtx, input: {} });
    expect(list.find((i) => i.id === live.id)).toMatchObject({
      version: '1.2.3',
      stale: false,
      stopping: false,
    });
    expect(list.find((i) => i.id === dead.id)).toMatchObject({ stale: true });
    expect(list.find((i) => i.id === dead.id)!.heartbeat_age_seconds).toBeGreaterThanOrEqual(299);
  });

  it('getDashboard gathers every piece', async () => {
    const d = await getDashboard({ ctx, input: { range: '1h' } });
    expect(d.series.range).toBe('1h');
    expect(d.queue.queued).toBeGreaterThan(0);
    expect(d.top_deferral_domains[0]!.domain).toBe('slow.example');
    expect(d.instances.length).toBeGreaterThan(0);
  });
});
