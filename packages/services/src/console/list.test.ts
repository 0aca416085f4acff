import { generateDemoData } from '@koukan/db/demo';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../testing/database.ts';
import { makeSender, makeTransaction } from '../testing/fixtures.ts';
import { listTransactions } from './list.ts';
import type { ListTransactionsInput } from './list-schema.ts';

interface Ref {
  id: string;
  sender: string;
  status: string;
  mail_from: string;
  rcpts: string[];
  message_id: string | null;
  final_reason: string | null;
  created_at: Date;
}

const { t, ctx } = useTestDatabase('user:test@example.com');
/** Every transaction, in the list's order (newest first, then id descending). */
let all: Ref[];

beforeAll(async () => {
  await generateDemoData(t.db, {
    transactions: 1500,
    senders: ['list-a', 'list-b', 'list-c'],
    batch: 500,
  });
  // Thirty transactions created at the very same instant: the keyset must still be exact.
  const s = await makeSender(t.db);
  for (let i = 0; i < 30; i++) {
    const row = await makeTransaction(t.db, s.id, { rcptTo: [{ m: `same${i}@tie.example` }] });
    await t.pool.query(
      `update transactions set created_at = '2026-11-30T12:00:00.123456Z' where id = $1`,
      [row.id],
    );
  }
  const { rows } = await t.pool.query<Ref>(`select t.id, s.name as sender, t.status,
      t.mail_from->>'m' as mail_from, t.rcpt_addresses as rcpts, t.message_id,
      t.final_attempt_reason as final_reason, t.created_at
    from transactions t join senders s on s.id = t.sender_id order by t.created_at desc, t.id desc`);
  all = rows;
}, 180_000);

/** Every page of a listing, concatenated (and the number of pages). */
async function everyPage(input: ListTransactionsInput, limit: number) {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await listTransactions({
      ctx,
      input: { ...input, limit, ...(cursor && { cursor }) },
    });
    pages++;
    expect(page.items.length).toBeLessThanOrEqual(limit);
    ids.push(...page.items.map((i) => i.id));
    if (!page.nextCursor) return { ids, pages };
    expect(page.items).toHaveLength(limit);
    cursor = page.nextCursor;
  }
}

async function expectListing(input: ListTransactionsInput, keep: (r: Ref) => boolean, limit = 97) {
  const expected = all.filter(keep).map((r) => r.id);
  const { ids } = await everyPage(input, limit);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids).toEqual(expected);
  return expected.length;
}

describe('listTransactions', () => {
  it('pages through everything newest first, without gaps or duplicates', async () => {
    const { ids, pages } = await everyPage({}, 200);
    expect(ids).toEqual(all.map((r) => r.id));
    expect(pages).toBe(Math.ceil(all.length / 200));
  });

  it('is exact across pages when many rows share one created_at', async () => {
    const n = await expectListing(
      { rcpt_domain: 'tie.example' },
      (r) => r.rcpts[0]!.endsWith('@tie.example'),
      7,
    );
    expect(n).toBe(30);
  });

  it('filters by one status and by several', async () => {
    expect(await expectListing({ status: 'failed' }, (r) => r.status === 'failed')).toBeGreaterThan(
      0,
    );
    expect(
      await expectListing(
        { status: ['queued', 'held'] },
        (r) => r.status === 'queued' || r.status === 'held',
      ),
    ).toBeGreaterThan(0);
  });

  it('filters by sender, alone and with a status', async () => {
    expect(await expectListing({ sender: 'list-b' }, (r) => r.sender === 'list-b')).toBeGreaterThan(
      0,
    );
    await expectListing(
      { sender: 'list-a', status: 'delivered' },
      (r) => r.sender === 'list-a' && r.status === 'delivered',
    );
    expect((await listTransactions({ ctx, input: { sender: 'no-such-sender' } })).items).toEqual(
      [],
    );
  });

  it('filters by envelope sender prefix, case-insensitively, with LIKE wildcards taken literally', async () => {
    expect(
      await expectListing({ mail_from_prefix: 'BOUNCES+1' }, (r) =>
        r.mail_from.startsWith('bounces+1'),
      ),
    ).toBeGreaterThan(0);
    await expectListing({ mail_from_prefix: '%' }, () => false);
    await expectListing({ mail_from_prefix: 'noreply@list_b' }, () => false);
  });

  it('filters by recipient prefix and recipient domain', async () => {
    expect(
      await expectListing({ rcpt_prefix: 'zoe.' }, (r) =>
        r.rcpts.some((a) => a.startsWith('zoe.')),
      ),
    ).toBeGreaterThan(0);
    // A prefix of the domain part is not a prefix of the address.
    await expectListing({ rcpt_prefix: 'gmail' }, (r) =>
      r.rcpts.some((a) => a.startsWith('gmail')),
    );
    expect(
      await expectListing({ rcpt_domain: 'Gmail.com' }, (r) =>
        r.rcpts.some((a) => a.endsWith('@gmail.com')),
      ),
    ).toBeGreaterThan(0);
    // Exploder parents have several recipients: any of them matches.
    const parent = all.find((r) => r.rcpts.length > 1)!;
    const domain = parent.rcpts[3]!.split('@')[1]!;
    await expectListing({ rcpt_domain: domain }, (r) =>
      r.rcpts.some((a) => a.endsWith(`@${domain}`)),
    );
  });

  it('finds one message by its Message-ID, with or without angle brackets', async () => {
    const target = all.find(
      (r) => r.message_id && r.rcpts.length === 1 && !r.message_id.startsWith('<dsn'),
    )!;
    const bare = target.message_id!.slice(1, -1);
    for (const message_id of [bare, target.message_id!, ` ${target.message_id!} `]) {
      const page = await listTransactions({ ctx, input: { message_id } });
      expect(page.items.map((i) => i.id)).toEqual(
        all.filter((r) => r.message_id === target.message_id).map((r) => r.id),
      );
    }
  });

  it('filters by final reason and created time range', async () => {
    await expectListing(
      { final_reason: 'retry_policy_max_attempts' },
      (r) => r.final_reason === 'retry_policy_max_attempts',
    );
    const mid = all[Math.floor(all.length / 2)]!.created_at;
    const after = new Date(mid.getTime() - 6 * 3_600_000);
    await expectListing(
      { created_after: after, created_before: mid },
      (r) => r.created_at.getTime() >= after.getTime() && r.created_at.getTime() < mid.getTime(),
    );
  });

  it('combines filters', async () => {
    await expectListing(
      {
        sender: 'list-a',
        status: ['failed', 'delivered'],
        rcpt_domain: 'gmail.com',
        mail_from_prefix: 'noreply',
      },
      (r) =>
        r.sender === 'list-a' &&
        (r.status === 'failed' || r.status === 'delivered') &&
        r.rcpts.some((a) => a.endsWith('@gmail.com')) &&
        r.mail_from.startsWith('noreply'),
      13,
    );
  });

  it('returns summary rows with the latest reply split into code, enhanced code and text', async () => {
    const failed = (
      await listTransactions({
        ctx,
        input: { final_reason: 'upstream_permanent_failure_rcpt', limit: 1 },
      })
    ).items[0]!;
    expect(failed.status).toBe('failed');
    expect(failed.latest_reply).toMatchObject({ code: 550, enhanced: '5.1.1' });
    expect(failed.latest_reply!.text).not.toMatch(/^5\.1\.1/);
    expect(failed.message_id).toMatch(/^<.+@.+>$/);
    expect(failed.subject).toBeTruthy();
    expect(new Date(failed.created_at).toISOString()).toBe(failed.created_at);
  });

  it('refuses bad input naming the field', async () => {
    const bad = async (input: unknown, field: string) => {
      const err = await listTransactions({ ctx, input: input as ListTransactionsInput }).catch(
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'bad_request' });
      expect((err as { details: { field: string }[] }).details.map((d) => d.field)).toContain(
        field,
      );
    };
    await bad({ limit: 201 }, 'limit');
    await bad({ status: 'sent' }, 'status');
    await bad({ cursor: 'garbage' }, 'cursor');
    await bad({ cursor: Buffer.from('2026-01-01|x').toString('base64url') }, 'cursor');
    await bad({ colour: 'red' }, '');
  });
});
