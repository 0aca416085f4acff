import { describe, expect, it } from 'vitest';
import { expect400, MESSAGE, routerSuite } from '../testing/harness.ts';
import { rawPut } from '../testing/raw-http.ts';

/** Issue 10 items 4 and 6: bad input is a 400 naming the field, never a 500. */
const { router, sender } = routerSuite();

const builder = (extra: Record<string, unknown>) => ({
  mail_from: { m: 'a@example.org' },
  rcpt_to: [{ m: 'b@example.org' }],
  body: {
    message_builder: {
      from: [{ address: 'a@example.org' }],
      to: [{ address: 'b@example.org' }],
      text: { content: { inline: 'hello' } },
      ...extra,
    },
  },
});

const base = { mail_from: { m: 'a@example.org' }, rcpt_to: [{ m: 'b@example.org' }] };

describe('control characters are refused with 400 naming the field', () => {
  it.each([
    ['mail_from.m', { ...base, mail_from: { m: 'a\u0000@example.org' } }],
    ['rcpt_to[0].m', { ...base, rcpt_to: [{ m: 'b\u0000@example.org' }] }],
    ['rcpt_to[0].m', { ...base, rcpt_to: [{ m: 'b@exa\u007fmple.org' }] }],
  ])('envelope %s', async (field, json) => {
    const s = await sender();
    expect400(await s.create({ ...json, body: { inline: MESSAGE } }), `body.${field}`);
  });

  it.each([
    ['message_id', { message_id: 'x\u0000y@example.org' }],
    ['message_id', { message_id: 'x\u0001y@example.org' }],
    ['from[0].address', { from: [{ address: 'a\u0000@example.org' }] }],
    ['from[0].name', { from: [{ address: 'a@example.org', name: 'Al\u0007ice' }] }],
    ['subject', { subject: 'hi\u001b[31m' }],
    ['subject', { subject: 'hi\u007f' }],
    ['in_reply_to', { in_reply_to: 'a\u0000@b' }],
    ['references[0]', { references: ['a\u0008@b'] }],
    ['headers[0].value', { headers: [{ name: 'X-A', value: 'v\u0000' }] }],
    [
      'related[0].content_id',
      {
        html: { content: { inline: '<img src="cid:x">' } },
        related: [{ content_id: 'x\u0000y', content_type: 'image/png', content: { inline: 'AA' } }],
      },
    ],
    [
      'attachments[0].filename',
      { attachments: [{ filename: 'a\u0000.txt', content: { inline: 'x' } }] },
    ],
    [
      'attachments[0].filename',
      { attachments: [{ filename: 'a\r\nContent-Type: text/html', content: { inline: 'x' } }] },
    ],
  ])('message_builder %s', async (field, extra) => {
    const s = await sender();
    expect400(await s.create(builder(extra)), `body.body.message_builder.${field}`);
  });

  it('a TAB is fine in a header value', async () => {
    const s = await sender();
    const res = await s.create(
      builder({ subject: 'a\tb', headers: [{ name: 'X-A', value: 'v\tw' }] }),
    );
    expect(res.status, res.text).toBe(201);
  });
});

describe('the built header section is bounded as an uploaded one is', () => {
  const headers = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ name: `X-Pad-${i}`, value: 'v'.repeat(90) }));

  it('custom headers over 256 KiB in all are a 400 naming headers; under it, a 201', async () => {
    const s = await sender();
    // 3,000 × ~100 bytes: a 330 KB request, under the 1 MiB JSON limit, over the header limit
    expect400(
      await s.create(builder({ headers: headers(3000) })),
      'body.body.message_builder.headers',
      /over 262144 bytes/,
    );
    expect((await s.create(builder({ headers: headers(2000) }))).status).toBe(201);
  });
});

describe('JSON nesting depth is bounded', () => {
  it('attachments[].message nested 20,000 deep is a 400', async () => {
    const s = await sender();
    const deep = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
    const json = JSON.stringify(
      builder({ attachments: [{ filename: 'a.eml', content: { inline: 'x' }, message: 0 }] }),
    ).replace('"message":0', `"message":${deep}`);
    const res = await s.api('POST', `/v1/senders/${s.name}/transactions`, {
      body: json,
      headers: { 'content-type': 'application/json' },
    });
    expect400(res, 'body');
  });
});

describe('reuse_uri', () => {
  it('a malformed % escape is a 400, not a 500', async () => {
    const s = await sender();
    const first = await s.create({ ...builder({}) });
    expect(first.status).toBe(201);
    const res = await s.create(
      builder({
        text: { content: { reuse_uri: `/v1/transactions/${first.json.id}/blob/%E0%A4%A` } },
      }),
    );
    expect(res.status, res.text).toBe(400);
    expect(JSON.stringify(res.json.error.details)).toContain('reuse_uri');
  });
});

describe('empty body uploads', () => {
  it.each([
    ['Content-Range: bytes */0', { 'content-range': 'bytes */0', 'content-length': 0 }],
    ['an empty chunked PUT (no Content-Length)', { 'transfer-encoding': 'chunked' }],
  ])('%s is refused like a plain empty PUT', async (_n, headers) => {
    const s = await sender();
    const created = await s.create(base);
    const url = `${router.url}/v1/transactions/${created.json.id}/body`;
    const plain = await s.api.put(created.json.id, '');
    expect(plain.status).toBe(400);
    const res = await rawPut(url, { authorization: `Bearer ${s.key}`, ...headers }, []);
    if (res === 'aborted') throw new Error('aborted');
    expect(res.status).toBe(400);
    expect(res.json.error.details).toEqual([{ field: 'body', message: 'no bytes' }]);
    const view = await s.api('GET', `/v1/transactions/${created.json.id}`);
    expect(view.json.body.status).not.toBe('finalized');
    // a real body is still taken afterwards
    const ok = await s.api.put(created.json.id, MESSAGE);
    expect(ok.status).toBe(200);
  });
});
