import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../testing/database.ts';
import { makeSender } from '../testing/fixtures.ts';
import { listQueueGroups } from './list-groups.ts';
import { listQueueMessages } from './list-messages.ts';
import { generateQueue } from './testing.ts';

const { t, ctx } = useTestDatabase('user:ops@example.com');
let sender: string;
beforeAll(async () => {
  const s = await makeSender(t.db);
  sender = s.name;
  await generateQueue(t.db, s.id, [
    {
      count: 30,
      domain: 'full.example',
      reply: (i) => ({
        code: 452,
        message: `4.2.2 Mailbox <user${i}@full.example> is over quota (${1000 + i} bytes), id ${i}AB${i}`,
      }),
    },
    {
      count: 12,
      domain: 'grey.example',
      dueInS: 60,
      reply: (i) => ({
        code: 451,
        message: `4.7.1 Greylisted by mx${i % 3}.grey.example from 192.0.2.${i}, retry in ${i}s`,
      }),
    },
    { count: 5, domain: 'full.example', reply: () => null },
    {
      count: 7,
      domain: 'held.example',
      status: 'held',
      reply: () => ({ code: 421, message: 'x' }),
    },
    {
      count: 4,
      domain: 'gone.example',
      status: 'failed',
      reply: (i) => ({ code: 550, message: `5.1.1 <nobody${i}@gone.example>: user unknown` }),
    },
    { count: 3, domain: 'done.example', status: 'delivered', reply: () => null },
  ]);
});

describe('queue groups', () => {
  it('groups waiting messages by domain and masked reply, largest first', async () => {
    const groups = await listQueueGroups({ ctx, input: { filter: { sender } } });
    expect(groups.map((g) => [g.domain, g.replyCode, g.replyPattern, g.count])).toEqual([
      ['full.example', 452, '4.2.2 mailbox <addr> is over quota (# bytes), id #', 30],
      ['grey.example', 451, '4.7.1 greylisted by <host> from <ip>, retry in #', 12],
      ['full.example', null, null, 5],
    ]);
    const grey = groups[1]!;
    expect(grey.sampleReply).toMatch(/^4\.7\.1 Greylisted by mx\d\.grey\.example/);
    // Due in a minute, against ten for the others.
    expect(grey.nextAttemptAt!.getTime()).toBeLessThan(groups[0]!.nextAttemptAt!.getTime());
    expect(grey.oldestCreatedAt).toBeInstanceOf(Date);
  });

  it('groups by domain alone, and serves the held queue and the recent failures', async () => {
    const byDomain = await listQueueGroups({
      ctx,
      input: { filter: { sender }, group_by: 'domain' },
    });
    expect(byDomain.map((g) => [g.domain, g.count])).toEqual([
      ['full.example', 35],
      ['grey.example', 12],
    ]);
    const held = await listQueueGroups({ ctx, input: { filter: { sender, queue: 'held' } } });
    expect(held.map((g) => [g.domain, g.replyCode, g.count])).toEqual([['held.example', 421, 7]]);
    const failed = await listQueueGroups({
      ctx,
      input: { filter: { sender, queue: 'failed', failed_days: 1 }, group_by: 'reply' },
    });
    expect(failed.map((g) => [g.domain, g.replyPattern, g.count])).toEqual([
      [null, '5.1.1 <addr>: user unknown', 4],
    ]);
  });

  it('drills into a group page by page without gaps or repeats', async () => {
    const filter = {
      sender,
      domain: 'full.example',
      reply_code: 452,
      reply_pattern: '4.2.2 mailbox <addr> is over quota (# bytes), id #',
    };
    const seen: string[] = [];
    let cursor: { at: string; id: string } | undefined;
    let pages = 0;
    do {
      const page = await listQueueMessages({
        ctx,
        input: { filter, limit: 7, ...(cursor && { cursor }) },
      });
      pages++;
      seen.push(...page.items.map((i) => i.id));
      for (const item of page.items) {
        expect(item).toMatchObject({ status: 'queued', domain: 'full.example' });
        expect(item.reply!.code).toBe(452);
      }
      cursor = page.next ?? undefined;
    } while (cursor);
    expect(pages).toBe(5);
    expect(new Set(seen).size).toBe(30);
    const noReply = await listQueueMessages({
      ctx,
      input: { filter: { sender, domain: 'full.example', reply_code: null } },
    });
    expect(noReply.items).toHaveLength(5);
    expect(noReply.next).toBeNull();
  });

  it('refuses an unknown sender and a bad filter by field', async () => {
    await expect(
      listQueueGroups({ ctx, input: { filter: { sender: 'nobody-here' } } }),
    ).rejects.toMatchObject({ code: 'not_found', details: [{ field: 'sender' }] });
    await expect(
      listQueueGroups({ ctx, input: { filter: { queue: 'lost' as 'held' } } }),
    ).rejects.toMatchObject({ code: 'bad_request', details: [{ field: 'filter.queue' }] });
  });
});
