import { beforeAll, describe, expect, it } from 'vitest';
import { client, expect400, routerSuite } from '../testing/harness.ts';

const { router, sender } = routerSuite();
let a: Awaited<ReturnType<typeof sender>>;
let b: Awaited<ReturnType<typeof sender>>;
const created: string[] = [];

const message = (n: number) =>
  `From: app@example.org\r\nTo: r${n}@example.net\r\nSubject: Order ${n}\r\nMessage-ID: <order-${n}@example.org>\r\n\r\nHello.\r\n`;

beforeAll(async () => {
  a = await sender();
  b = await sender();
  for (let n = 0; n < 5; n++) {
    const domain = n % 2 ? 'odd.example' : 'even.example';
    const res = await a.create({
      mail_from: { m: 'app@example.org' },
      rcpt_to: [{ m: `R${n}@${domain}` }],
      body: { inline: message(n) },
    });
    expect(res.status).toBe(201);
    created.push(res.json.id);
  }
  const other = await b.create({
    mail_from: { m: 'b@example.org' },
    rcpt_to: [{ m: 'x@odd.example' }],
    body: { inline: message(9) },
  });
  expect(other.status).toBe(201);
});

const list = (key: string | null, sender: string, query = '') =>
  client(router.url, key)('GET', `/v1/senders/${sender}/transactions${query}`);

describe('GET /v1/senders/{sender}/transactions', () => {
  it("lists the sender's own transactions, newest first, with Message-ID and Subject", async () => {
    const res = await list(a.key, a.name);
    expect(res.status).toBe(200);
    expect(res.json.items.map((i: { id: string }) => i.id)).toEqual([...created].reverse());
    expect(res.json.next_cursor).toBeNull();
    expect(res.json.items[0]).toMatchObject({
      sender: a.name,
      mail_from: 'app@example.org',
      recipients: ['R4@even.example'],
      status: 'queued',
      message_id: '<order-4@example.org>',
      subject: 'Order 4',
      attempt_count: 0,
      latest_reply: null,
    });
  });

  it('pages with the cursor, without gaps or duplicates', async () => {
    const seen: string[] = [];
    let cursor = '';
    for (let i = 0; i < 5; i++) {
      const res = await list(a.key, a.name, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.json.items.map((x: { id: string }) => x.id));
      if (!res.json.next_cursor) break;
      cursor = res.json.next_cursor;
    }
    expect(seen).toEqual([...created].reverse());
  });

  it('filters by Message-ID, recipient domain, recipient prefix and status', async () => {
    const byId = await list(a.key, a.name, '?message_id=order-2@example.org');
    expect(byId.json.items.map((x: { id: string }) => x.id)).toEqual([created[2]]);
    const odd = await list(a.key, a.name, '?rcpt_domain=ODD.example');
    expect(odd.json.items.map((x: { id: string }) => x.id)).toEqual([created[3], created[1]]);
    const prefix = await list(a.key, a.name, '?rcpt_prefix=r3%40');
    expect(prefix.json.items.map((x: { id: string }) => x.id)).toEqual([created[3]]);
    const statuses = await list(a.key, a.name, '?status=delivered,failed');
    expect(statuses.json.items).toEqual([]);
    const repeated = await list(a.key, a.name, '?status=held&status=queued');
    expect(repeated.json.items).toHaveLength(5);
  });

  it('stores Message-ID and Subject when the body is uploaded later', async () => {
    const c = await sender();
    const created = await c.create({
      mail_from: { m: 'app@example.org' },
      rcpt_to: [{ m: 'late@example.net' }],
    });
    expect(created.status).toBe(201);
    const before = await list(c.key, c.name);
    expect(before.json.items[0]).toMatchObject({ message_id: null, subject: null });
    const put = await c.api.put(created.json.id, message(7), { 'content-type': 'message/rfc822' });
    expect(put.status).toBe(200);
    const after = await list(c.key, c.name, '?message_id=%3Corder-7%40example.org%3E');
    expect(after.json.items.map((x: { id: string }) => x.id)).toEqual([created.json.id]);
    expect(after.json.items[0].subject).toBe('Order 7');
  });

  it("refuses another sender's key (403) and no key (401)", async () => {
    const res = await list(b.key, a.name);
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('forbidden');
    expect(JSON.stringify(res.json)).not.toContain(created[0]);
    expect((await list(null, a.name)).status).toBe(401);
    // Its own list never shows another sender's transactions.
    const own = await list(b.key, b.name);
    expect(own.json.items).toHaveLength(1);
  });

  it('answers 400 naming the field for bad parameters', async () => {
    expect400(await list(a.key, a.name, '?limit=0'), 'query.limit');
    expect400(await list(a.key, a.name, '?limit=201'), 'query.limit');
    expect400(await list(a.key, a.name, '?status=sent'), 'query.status[0]');
    expect400(await list(a.key, a.name, '?created_after=yesterday'), 'query.created_after');
    expect400(await list(a.key, a.name, '?colour=red'), 'query.colour');
    expect400(await list(a.key, a.name, '?cursor=bm90LWEtY3Vyc29y'), 'cursor');
  });

  it('is documented in the OpenAPI output with its query parameters', async () => {
    const res = await client(router.url, null)('GET', '/openapi.json');
    const op = res.json.paths['/v1/senders/{sender}/transactions'].get;
    const names = op.parameters.map((p: { name: string }) => p.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'sender',
        'status',
        'rcpt_prefix',
        'rcpt_domain',
        'message_id',
        'cursor',
        'limit',
      ]),
    );
    expect(op.responses['200']).toBeDefined();
    expect(op.responses['403']).toBeDefined();
  });
});
