import { generateDemoData } from '@koukan/db/demo';
import { uniqueName } from '@koukan/db/testing';
import type { TransactionSummary } from '@koukan/services';
import { beforeAll, describe, expect, it } from 'vitest';
import { codeOf, fileHarness } from '../../../testing/harness.ts';

const h = fileHarness();
let all: TransactionSummary[];
const senders = [uniqueName('shop'), uniqueName('news')];

beforeAll(async () => {
  await generateDemoData(h.database.db, { transactions: 600, senders, days: 2, batch: 250 });
  // Every transaction, page by page (keyset), as a viewer sees them.
  all = await listAll({}, 97);
}, 180_000);

/** Every page of a filtered listing, concatenated. */
async function listAll(
  filters: Record<string, unknown>,
  limit = 40,
): Promise<TransactionSummary[]> {
  const viewer = h.caller(h.users.viewer);
  const out: TransactionSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await viewer.transactions.list({ ...filters, limit, ...(cursor && { cursor }) });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

const ids = (l: TransactionSummary[]) => l.map((t) => t.id);

describe('transactions router: pagination and filters over generated data', () => {
  it('pages through everything once, newest first, with no duplicates', () => {
    expect(all.length).toBeGreaterThan(600);
    expect(new Set(ids(all)).size).toBe(all.length);
    for (let i = 1; i < all.length; i++) {
      expect(all[i - 1]!.created_at >= all[i]!.created_at).toBe(true);
    }
  });

  it('filters by status (one and several)', async () => {
    const failed = all.filter((t) => t.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(ids(await listAll({ status: 'failed' }))).toEqual(ids(failed));
    const some = all.filter((t) => t.status === 'queued' || t.status === 'held');
    expect(ids(await listAll({ status: ['queued', 'held'] }))).toEqual(ids(some));
  });

  it('filters by sender, and an unknown sender is an empty page', async () => {
    const news = all.filter((t) => t.sender === senders[1]);
    expect(news.length).toBeGreaterThan(0);
    expect(ids(await listAll({ sender: senders[1] }))).toEqual(ids(news));
    expect(await listAll({ sender: 'no-such-sender' })).toEqual([]);
  });

  it('filters by recipient prefix and recipient domain', async () => {
    const sample = all.find((t) => t.recipients.length === 1 && !t.parent_id)!;
    const rcpt = sample.recipients[0]!;
    const prefix = rcpt.slice(0, rcpt.indexOf('@') + 1);
    const byPrefix = all.filter((t) =>
      t.recipients.some((r) => r.toLowerCase().startsWith(prefix.toLowerCase())),
    );
    expect(ids(await listAll({ rcpt_prefix: prefix.toUpperCase() }))).toEqual(ids(byPrefix));
    const domain = rcpt.split('@')[1]!;
    const byDomain = all.filter((t) =>
      t.recipients.some((r) => r.toLowerCase().endsWith(`@${domain}`)),
    );
    expect(byDomain.length).toBeGreaterThan(0);
    expect(ids(await listAll({ rcpt_domain: domain }))).toEqual(ids(byDomain));
  });

  it('filters by envelope sender prefix, Message-ID and final reason', async () => {
    const t = all.find((x) => x.message_id && x.mail_from)!;
    const fromPrefix = t.mail_from.slice(0, 4);
    expect(ids(await listAll({ mail_from_prefix: fromPrefix }))).toEqual(
      ids(all.filter((x) => x.mail_from.toLowerCase().startsWith(fromPrefix.toLowerCase()))),
    );
    const byId = await listAll({ message_id: t.message_id! });
    expect(ids(byId)).toContain(t.id);
    expect(byId.every((x) => x.message_id === t.message_id)).toBe(true);
    const reason = all.find((x) => x.final_attempt_reason)!.final_attempt_reason!;
    expect(ids(await listAll({ final_reason: reason }))).toEqual(
      ids(all.filter((x) => x.final_attempt_reason === reason)),
    );
  });

  it('filters by time range (inclusive from, exclusive before) and combines filters', async () => {
    const mid = all[Math.floor(all.length / 2)]!;
    const after = new Date(mid.created_at);
    const before = new Date(after.getTime() + 6 * 3600_000);
    const expected = all.filter(
      (t) => new Date(t.created_at) >= after && new Date(t.created_at) < before,
    );
    expect(ids(await listAll({ created_after: after, created_before: before }))).toEqual(
      ids(expected),
    );
    const combined = expected.filter((t) => t.status === 'delivered' && t.sender === senders[0]);
    expect(
      ids(
        await listAll({
          created_after: after,
          created_before: before,
          status: 'delivered',
          sender: senders[0],
        }),
      ),
    ).toEqual(ids(combined));
  });

  it('refuses bad input with BAD_REQUEST', async () => {
    const viewer = h.caller(h.users.viewer);
    expect(await codeOf(viewer.transactions.list({ limit: 100_000 }))).toBe('BAD_REQUEST');
    expect(await codeOf(viewer.transactions.list({ status: 'nonsense' as never }))).toBe(
      'BAD_REQUEST',
    );
    expect(await codeOf(viewer.transactions.detail({ id: 'not-a-uuid' }))).toBe('BAD_REQUEST');
  });
});

describe('transactions router: roles', () => {
  it('refuses every procedure to an anonymous caller', async () => {
    const anon = h.caller(null);
    const id = all[0]!.id;
    expect(await codeOf(anon.transactions.list({}))).toBe('UNAUTHORIZED');
    expect(await codeOf(anon.transactions.senders({}))).toBe('UNAUTHORIZED');
    expect(await codeOf(anon.transactions.detail({ id }))).toBe('UNAUTHORIZED');
    expect(await codeOf(anon.transactions.message({ id }))).toBe('UNAUTHORIZED');
    expect(await codeOf(anon.transactions.action({ id, action: 'hold' }))).toBe('UNAUTHORIZED');
    expect(await codeOf(anon.transactions.watch({ id }))).toBe('UNAUTHORIZED');
    expect(await codeOf(anon.dashboard.get({ range: '24h' }))).toBe('UNAUTHORIZED');
  });

  it('lets a viewer read but never act', async () => {
    const viewer = h.caller(h.users.viewer);
    const queued = all.find((t) => t.status === 'queued')!;
    for (const action of ['retry_now', 'hold', 'release', 'cancel'] as const) {
      expect(await codeOf(viewer.transactions.action({ id: queued.id, action }))).toBe('FORBIDDEN');
    }
    const detail = await viewer.transactions.detail({ id: queued.id });
    expect(detail.transaction.status).toBe('queued');
  });
});

describe('transactions router: detail, actions and live updates', () => {
  it('returns the detail with attempts, replies and the timeline', async () => {
    const failed = all.find((t) => t.status === 'failed' && t.attempt_count > 0)!;
    const d = await h.caller(h.users.viewer).transactions.detail({ id: failed.id });
    expect(d.transaction.id).toBe(failed.id);
    expect(d.attempts).toHaveLength(failed.attempt_count);
    expect(d.events.length).toBeGreaterThan(0);
    expect(
      await codeOf(
        h
          .caller(h.users.viewer)
          .transactions.detail({ id: '00000000-0000-4000-8000-000000000000' }),
      ),
    ).toBe('NOT_FOUND');
  });

  it('lets an operator hold and release, reflected in the detail and streamed to a watcher', async () => {
    const operator = h.caller(h.users.operator);
    const queued = all.find((t) => t.status === 'queued')!;
    const controller = new AbortController();
    const stream = await h
      .caller(h.users.viewer, controller.signal)
      .transactions.watch({ id: queued.id });
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value).toMatchObject({ id: queued.id, status: 'queued' });

    const held = await operator.transactions.action({ id: queued.id, action: 'hold' });
    expect(held).toMatchObject({ from: 'queued', to: 'held' });
    const next = await it.next();
    expect(next.value).toMatchObject({ id: queued.id, status: 'held' });
    controller.abort();

    expect((await operator.transactions.detail({ id: queued.id })).transaction.status).toBe('held');
    expect(await codeOf(operator.transactions.action({ id: queued.id, action: 'hold' }))).toBe(
      'CONFLICT',
    );
    const released = await operator.transactions.action({ id: queued.id, action: 'release' });
    expect(released).toMatchObject({ from: 'held', to: 'queued' });
  });

  it('serves the dashboard to a viewer', async () => {
    const d = await h.caller(h.users.viewer).dashboard.get({ range: '7d' });
    expect(d.series.points.length).toBeGreaterThan(0);
    expect(d.queue.queued).toBeGreaterThanOrEqual(0);
  });
});
