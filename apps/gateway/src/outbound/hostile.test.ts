import { describe, expect, it } from 'vitest';
import { rawConnection } from '../../../../tooling/raw-connection.ts';
import { GATEWAY_TOKEN } from '../testing/outbound.ts';
import { outboundPerTest } from '../testing/per-test.ts';

/**
 * The gateway's outbound API as an attacker who reaches its port sees it (issue 10 items 1, 3,
 * 4, 7, and probes beyond the list). Real sockets; the next hop is a real SMTP sink.
 */
const { gateway, sink } = outboundPerTest();

const BODY = 'From: a@example.org\r\nSubject: x\r\n\r\nx\r\n';
const createJson = (port: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    mail_from: { m: 'a@example.org' },
    rcpt_to: [{ m: 'b@example.net' }],
    remote_hosts: [{ host: '127.0.0.1', port }],
    body: { inline: BODY },
    ...extra,
  });

async function send(url: string, request: string) {
  const c = rawConnection(url);
  c.socket.write(request);
  const res = await c.response();
  c.socket.destroy();
  return res;
}

describe('every route but the probes needs the token (decided after routing)', () => {
  it.each([
    ['an encoded path', (_u: string) => '/%761/senders/x/transactions'],
    ['the absolute form', (u: string) => `${u}/v1/senders/x/transactions`],
    ['dot segments', (_u: string) => '/healthz/../v1/senders/x/transactions'],
    ['an encoded dot-dot', (_u: string) => '/healthz/%2e%2e/v1/senders/x/transactions'],
    ['a double slash', (_u: string) => '//v1/senders/x/transactions'],
    ['upper case', (_u: string) => '/V1/senders/x/transactions'],
    ['a trailing slash', (_u: string) => '/v1/senders/x/transactions/'],
  ])('%s without Authorization is a 401, and nothing is sent', async (_n, path) => {
    const s = await sink();
    const g = await gateway();
    const body = createJson(s.port);
    const res = await send(
      g.url,
      `POST ${path(g.url)} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(res.status).toBe(401);
    expect(s.received).toHaveLength(0);
  });

  it('the probes are public; an unknown route is a 401 without the token', async () => {
    const g = await gateway();
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      expect((await fetch(`${g.url}${path}`)).status).toBe(200);
    }
    expect((await fetch(`${g.url}/nothing`)).status).toBe(401);
    expect((await g.call('GET', '/nothing')).status).toBe(404);
  });

  it('a wrong token, a token without "Bearer", or two Authorization headers are refused', async () => {
    const g = await gateway();
    const path = '/v1/transactions/x';
    expect((await g.call('GET', path, undefined, { authorization: 'Bearer x' })).status).toBe(401);
    expect((await g.call('GET', path, undefined, { authorization: GATEWAY_TOKEN })).status).toBe(
      401,
    );
    const twice = await send(
      g.url,
      `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${GATEWAY_TOKEN}\r\n` +
        `Authorization: Bearer ${GATEWAY_TOKEN}\r\n\r\n`,
    );
    expect(twice.status).toBe(400);
  });

  it('without a configured token the API refuses every call (never open)', async () => {
    const g = await gateway({}, undefined, { token: undefined });
    const res = await g.call('POST', '/v1/senders/x/transactions', JSON.parse(createJson(1)));
    expect(res.status).toBe(401);
    const bare = await fetch(`${g.url}/v1/senders/x/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' },
      body: createJson(1),
    });
    expect(bare.status).toBe(401);
  });
});

describe('bad input is a 400 naming the field', () => {
  it.each([
    ['body.mail_from.m', { mail_from: { m: 'a\u0000@example.org' } }],
    ['body.rcpt_to[0].m', { rcpt_to: [{ m: 'b@example.net\r\nRCPT TO:<c@evil.test>' }] }],
    ['body.rcpt_to[0].m', { rcpt_to: [{ m: 'b\u202e@example.net' }] }],
    [
      'body.mail_from.e[0].p',
      { mail_from: { m: 'a@example.org', e: [{ k: 'ENVID', p: 'x\r\ny' }] } },
    ],
    ['body.remote_hosts[0].host', { remote_hosts: [{ host: 'evil.test\r\n', port: 25 }] }],
  ])('%s', async (field, extra) => {
    const s = await sink();
    const g = await gateway();
    const res = await g.call('POST', '/v1/senders/x/transactions', {
      ...JSON.parse(createJson(s.port)),
      ...extra,
    });
    expect(res.status).toBe(400);
    expect(res.json.error.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(s.received).toHaveLength(0);
  });

  it('JSON nested 20,000 deep is a 400', async () => {
    const g = await gateway();
    const res = await fetch(`${g.url}/v1/senders/x/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${GATEWAY_TOKEN}` },
      body: `{"mail_from":${'['.repeat(20_000)}${']'.repeat(20_000)}}`,
    });
    expect(res.status).toBe(400);
    expect(
      ((await res.json()) as { error: { details: { field: string }[] } }).error.details[0]!.field,
    ).toBe('body');
  });
});

describe('slow and endless requests', () => {
  it('a POST that stalls after 13 bytes of JSON gets 408 and is closed', async () => {
    const g = await gateway({}, undefined, { bodyTimeoutMs: 300 });
    const c = rawConnection(g.url);
    c.socket.write(
      `POST /v1/senders/x/transactions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${GATEWAY_TOKEN}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 300\r\n\r\n{"mail_from":',
    );
    const res = await c.response();
    expect(res.status).toBe(408);
    await c.closed;
  });

  it('an unauthenticated client trickling body bytes after its 401 is disconnected', async () => {
    const g = await gateway();
    const c = rawConnection(g.url);
    c.socket.write(
      'PUT /v1/transactions/x/body HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\nFrom:',
    );
    const res = await c.response();
    expect(res.status).toBe(401);
    const trickle = setInterval(() => c.socket.writable && c.socket.write('x'), 20);
    try {
      await c.closed;
    } finally {
      clearInterval(trickle);
    }
  });

  it('headers that never end are cut', async () => {
    const g = await gateway({}, undefined, { headersTimeoutMs: 300 });
    const c = rawConnection(g.url);
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a');
    const trickle = setInterval(() => c.socket.writable && c.socket.write('a'), 50);
    try {
      await c.closed;
    } finally {
      clearInterval(trickle);
    }
    expect(c.received).not.toContain('200 OK');
  });

  it('caps concurrent long-polls with 429', async () => {
    const g = await gateway({}, undefined, { maxLongPolls: 1 });
    const created = await g.call('POST', '/v1/senders/x/transactions', {
      ...JSON.parse(createJson(1)),
      body: undefined,
    });
    expect(created.status).toBe(201);
    const poll = (seconds: string) =>
      g.call('GET', `/v1/transactions/${created.json.id}`, undefined, {
        'if-none-match': created.etag,
        'request-timeout': seconds,
      });
    const first = poll('2');
    await expect.poll(async () => (await poll('0.1')).status).toBe(429);
    expect((await first).status).toBe(304);
    expect((await poll('0.1')).status).toBe(304);
  });
});

describe("a destination's waiting queue is bounded", () => {
  it('in length (451 at once past it) and in time (451 after the wait)', async () => {
    const s = await sink({ dataDelayMs: 1500 });
    const g = await gateway({
      maxPerDestination: 1,
      maxQueuedPerDestination: 1,
      queueTimeoutMs: 500,
    });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await g.call('POST', '/v1/senders/x/transactions', JSON.parse(createJson(s.port)));
      expect(r.status).toBe(201);
      ids.push(r.json.id);
    }
    const [holder, waiter, refused] = await Promise.all(ids.map((id) => g.waitDone(id)));
    expect(holder.data_response.code).toBe(250);
    expect(refused.mail_response).toEqual({
      code: 451,
      enhanced: '4.4.5',
      message: expect.stringMatching(/^Too many messages waiting/),
    });
    expect(waiter.mail_response).toEqual({
      code: 451,
      enhanced: '4.4.5',
      message: expect.stringMatching(/^Waited 500 ms/),
    });
    expect(s.received).toHaveLength(1);
  });
});
