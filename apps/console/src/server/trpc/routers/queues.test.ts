import { generateQueue, makeSender } from '@koukan/services/testing';
import { TRPCError } from '@trpc/server';
import { beforeAll, describe, expect, it } from 'vitest';
import { codeOf, fileHarness } from '../../../testing/harness.ts';

const h = fileHarness();
let sender: string;
let ids: string[];
const full = (i: number) => ({ code: 452, message: `4.2.2 mailbox full (${i} bytes)` });
const pattern = '4.2.2 mailbox full (# bytes)';

beforeAll(async () => {
  const s = await makeSender(h.database.db);
  sender = s.name;
  ids = await generateQueue(h.database.db, s.id, [
    { count: 1200, domain: 'full.example', reply: full },
    { count: 30, domain: 'slow.example', reply: () => ({ code: 421, message: '4.4.2 timeout' }) },
    { count: 20, domain: 'gone.example', status: 'failed', reply: () => null },
  ]);
}, 120_000);

const group = () => ({
  sender,
  domain: 'full.example',
  reply_code: 452,
  reply_pattern: pattern,
});

describe('queues router', () => {
  it('groups the waiting queue by domain and reply, and the recent failures', async () => {
    const viewer = h.caller(h.users.viewer);
    const groups = await viewer.queues.groups({ filter: { sender } });
    expect(groups.map((g) => [g.domain, g.replyCode, g.replyPattern, g.count])).toEqual([
      ['full.example', 452, pattern, 1200],
      ['slow.example', 421, '4.4.2 timeout', 30],
    ]);
    expect(groups[0]!.nextAttemptAt).toBeInstanceOf(Date);
    const failed = await viewer.queues.groups({
      filter: { sender, queue: 'failed', failed_days: 1 },
      group_by: 'domain',
    });
    expect(failed.map((g) => [g.domain, g.count])).toEqual([['gone.example', 20]]);
  });

  it('drills into a group page by page (keyset) without gaps or repeats', async () => {
    const viewer = h.caller(h.users.viewer);
    const seen: string[] = [];
    let cursor: { at: string; id: string } | undefined;
    do {
      const page = await viewer.queues.messages({
        filter: group(),
        limit: 500,
        ...(cursor && { cursor }),
      });
      seen.push(...page.items.map((i) => i.id));
      cursor = page.next ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(1200);
    expect(new Set(seen).size).toBe(1200);
  });

  it('counts for the confirmation, then an operator holds a selection and a group', async () => {
    const operator = h.caller(h.users.operator);
    const some = ids.slice(0, 5);
    expect(await operator.queues.count({ action: 'hold', selection: { ids: some } })).toMatchObject(
      { matched: 5, touches: 5 },
    );
    const one = await operator.queues.bulk({ action: 'hold', selection: { ids: some } });
    expect(one).toMatchObject({ touches: 5, applied: 5 });

    const count = await operator.queues.count({ action: 'hold', selection: { filter: group() } });
    expect(count).toMatchObject({ matched: 1195, touches: 1195 });
    const held = await operator.queues.bulk({ action: 'hold', selection: { filter: group() } });
    expect(held).toMatchObject({ touches: 1195, applied: 1195 });
    const heldGroups = await operator.queues.groups({ filter: { sender, queue: 'held' } });
    expect(heldGroups.map((g) => g.count)).toEqual([1200]);

    // Each bulk action is in the audit log, readable by a viewer.
    const audit = await h
      .caller(h.users.viewer)
      .audit.list({ actor: `user:${h.users.operator.email}`, action: 'transaction.hold' });
    expect(audit.items.map((a) => a.details.bulk_id)).toEqual([held.bulkId, one.bulkId]);

    const released = await operator.queues.bulk({
      action: 'release',
      selection: { filter: { sender, queue: 'held' } },
    });
    expect(released.applied).toBe(1200);
    expect(
      (await operator.queues.count({ action: 'release', selection: { filter: group() } })).touches,
    ).toBe(0);
  });

  it('refuses actions to a viewer and everything to an anonymous caller', async () => {
    const viewer = h.caller(h.users.viewer);
    const selection = { filter: group() };
    for (const action of ['retry_now', 'hold', 'release', 'cancel'] as const) {
      expect(await codeOf(viewer.queues.bulk({ action, selection }))).toBe('FORBIDDEN');
      expect(await codeOf(viewer.queues.count({ action, selection }))).toBe('FORBIDDEN');
    }
    const anon = h.caller(null);
    expect(await codeOf(anon.queues.groups({}))).toBe('UNAUTHORIZED');
    expect(await codeOf(anon.queues.messages({}))).toBe('UNAUTHORIZED');
    expect(await codeOf(anon.audit.list({}))).toBe('UNAUTHORIZED');
    // Nothing changed.
    const groups = await viewer.queues.groups({ filter: { sender } });
    expect(groups[0]!.count).toBe(1200);
  });

  it('refuses bad input by field, and a too-broad filter', async () => {
    const operator = h.caller(h.users.operator);
    expect(await codeOf(operator.queues.groups({ filter: { queue: 'nope' as never } }))).toBe(
      'BAD_REQUEST',
    );
    expect(await codeOf(operator.queues.groups({ filter: { sender: 'no-such-sender' } }))).toBe(
      'NOT_FOUND',
    );
    expect(await codeOf(operator.queues.bulk({ action: 'hold', selection: { ids: ['x'] } }))).toBe(
      'BAD_REQUEST',
    );
    expect(
      await codeOf(
        operator.queues.bulk({ action: 'cancel', selection: { filter: { queue: 'any' } } }),
      ),
    ).toBe('BAD_REQUEST');
  });

  it('fails a bulk action loudly on a database error half-way (never as conflicts)', async () => {
    const operator = h.caller(h.users.operator);
    const s = await makeSender(h.database.db);
    // 12,000 rows (two statements: under the statement timeout on a loaded machine); the
    // router's batches are 10,000, so the victim is in the second.
    const mine = (
      await generateQueue(h.database.db, s.id, [
        { count: 6000, domain: 'x.example' },
        { count: 6000, domain: 'x.example' },
      ])
    ).sort();
    const victim = mine[11_000]!;
    await h.database.pool.query(`
      create function fail_once() returns trigger language plpgsql as $$
      begin raise exception 'injected failure on %', new.id; end $$;
      create trigger fail_once before update on transactions for each row
        when (old.id = '${victim}') execute function fail_once();`);
    try {
      const err = await operator.queues
        .bulk({ action: 'cancel', selection: { filter: { sender: s.name } } })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TRPCError);
      expect((err as TRPCError).code).toBe('INTERNAL_SERVER_ERROR');
      expect((err as TRPCError).message).toMatch(/failed after 10000 of 12000 .*injected failure/);
    } finally {
      await h.database.pool.query(
        'drop trigger fail_once on transactions; drop function fail_once()',
      );
    }
    const { rows } = await h.database.pool.query<{ status: string; n: number }>(
      'select status, count(*)::int as n from transactions where sender_id = $1 group by 1 order by 1',
      [s.id],
    );
    expect(rows).toEqual([
      { status: 'cancelled', n: 10_000 },
      { status: 'queued', n: 2000 },
    ]);
  }, 120_000);
});
