import { TransactionWatcher } from '@koukan/db';
import pino from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { rawConnection } from '../../../../tooling/raw-connection.ts';
import { expectField, MESSAGE, routerSuite } from '../testing/harness.ts';

/**
 * The router's HTTP port as an attacker sees it (issue 10 item 7, and probes beyond the list):
 * slow or endless requests, path and header tricks, cross-sender access. Each case is a real
 * socket against a real router and PostgreSQL.
 */
/** The router's change watcher, held here so a test can see how many long-polls wait. */
let watcher: TransactionWatcher;
const { router, sender } = routerSuite(async (t) => {
  watcher = new TransactionWatcher({ pool: t.pool, logger: pino({ level: 'silent' }) });
  await watcher.start();
  const limits = { headersTimeoutMs: 500, bodyTimeoutMs: 500, longPollsPerKey: 2 };
  return { ...limits, watcher, stop: () => watcher.stop() };
});

const bare = { mail_from: { m: 'a@example.org' }, rcpt_to: [{ m: 'b@example.org' }] };
const envelope = { ...bare, body: { inline: MESSAGE } };

const host = () => new URL(router.url).host;

describe('slow and endless requests', () => {
  it('an authenticated POST that stalls after 13 bytes of JSON gets 408 and is closed', async () => {
    const s = await sender();
    const c = rawConnection(router.url);
    c.socket.write(
      `POST /v1/senders/${s.name}/transactions HTTP/1.1\r\nHost: ${host()}\r\n` +
        `Authorization: Bearer ${s.key}\r\nContent-Type: application/json\r\n` +
        'Content-Length: 200\r\n\r\n{"mail_from":',
    );
    const res = await c.response();
    expect(res.status).toBe(408);
    expect(JSON.parse(res.body).error.details[0].field).toBe('body');
    await c.closed;
  });

  it('an unauthenticated client trickling body bytes after its 401 is disconnected', async () => {
    const s = await sender();
    const c = rawConnection(router.url);
    c.socket.write(
      `POST /v1/senders/${s.name}/transactions HTTP/1.1\r\nHost: ${host()}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{',
    );
    const res = await c.response();
    expect(res.status).toBe(401);
    expect(res.head.toLowerCase()).toContain('connection: close');
    // keep trickling: the server must not keep reading
    const trickle = setInterval(() => c.socket.writable && c.socket.write('x'), 20);
    onTestFinished(() => clearInterval(trickle));
    await c.closed;
  });

  it('headers that never end (slowloris) are cut', async () => {
    const c = rawConnection(router.url);
    c.socket.write(`GET /healthz HTTP/1.1\r\nHost: ${host()}\r\nX-Slow: a`);
    const trickle = setInterval(() => c.socket.writable && c.socket.write('a'), 50);
    onTestFinished(() => clearInterval(trickle));
    await c.closed;
    expect(c.received).not.toContain('200 OK');
  });

  it('caps concurrent long-polls per API key with 429, and frees the place when one ends', async () => {
    const s = await sender();
    const created = await s.create(envelope);
    const etag = created.headers.get('etag')!;
    const id = created.json.id as string;
    const poll = (seconds: string) => s.api.poll(id, etag, seconds);
    // long enough that a loaded machine cannot let them time out before the checks below
    const first = poll('20');
    const second = poll('20');
    // once both wait (and not before: a probe would take a place), a third is refused at once
    await expect.poll(() => watcher.waiting, { timeout: 15_000 }).toBe(2);
    const third = await poll('1');
    expect(third.status).toBe(429);
    expect(third.json.error.code).toBe('too_many_requests');
    // another key is not affected, nor is a plain GET (no wait)
    const other = await sender();
    const theirs = await other.create(envelope);
    const otherPoll = await other.api.poll(theirs.json.id, theirs.headers.get('etag')!, '0.1');
    expect(otherPoll.status).toBe(304);
    expect((await s.api('GET', `/v1/transactions/${id}`)).status).toBe(200);
    // a change answers both waiting polls at once
    expect((await s.api('POST', `/v1/transactions/${id}/cancel`)).status).toBeLessThan(300);
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    // the places are free again (the old ETag is answered at once: the transaction changed)
    expect((await poll('0.1')).status).toBe(200);
  });

  it('body uploads with Prefer: wait hold at most the long-poll places of their key', async () => {
    const s = await sender();
    const ids: string[] = [];
    const malformed = ['wait=abc', 'wait=-5', 'wait', 'wait="', 'wait=,'.repeat(1000)];
    for (let i = 0; i < 3 + malformed.length; i++) {
      ids.push((await s.create(bare)).json.id);
    }
    const put = (id: string, prefer: string) =>
      s.api.put(id, MESSAGE, { 'content-type': 'message/rfc822', prefer });
    // no engine runs here: nothing answers DATA, so an upload that waits is held open
    // (a huge wait is clamped: unclamped, its timer would overflow and end the wait at once)
    const held = [put(ids[0]!, `wait=${'9'.repeat(400)}`), put(ids[1]!, 'respond-async, wait=20')];
    await expect.poll(() => watcher.waiting, { timeout: 15_000 }).toBe(2);
    // past the key's places: stored and answered at once, without waiting
    const over = await put(ids[2]!, 'wait=20');
    expect(over.status).toBe(200);
    expect(over.json.upload.complete).toBe(true);
    expect(over.json.transaction.data_response).toBeNull();
    expect(watcher.waiting).toBe(2);
    // a change (here a cancel) ends the wait with the final view
    for (const id of ids.slice(0, 2)) await s.api('POST', `/v1/transactions/${id}/cancel`);
    for (const res of await Promise.all(held)) {
      expect(res.status).toBe(200);
      expect(res.json.transaction.status).toBe('cancelled');
    }
    // a malformed preference is ignored: the upload is answered at once, no place is taken
    for (const [i, prefer] of malformed.entries()) {
      const res = await put(ids[3 + i]!, prefer);
      expect(res.status).toBe(200);
      expect(res.json.transaction.data_response).toBeNull();
      expect(watcher.waiting).toBe(0);
    }
  });
});

describe('path and header tricks', () => {
  const send = async (request: string) => {
    const c = rawConnection(router.url);
    c.socket.write(request);
    const res = await c.response();
    c.socket.destroy();
    return res;
  };

  it('an absolute-form URL is authenticated like any other request', async () => {
    const s = await sender();
    const body = JSON.stringify(envelope);
    const res = await send(
      `POST ${router.url}/v1/senders/${s.name}/transactions HTTP/1.1\r\nHost: ${host()}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(res.status).toBe(401);
  });

  it.each([
    ['an encoded path', '/%761/senders/x/transactions'],
    ['encoded slashes', '/v1/transactions/..%2F..%2Fsenders%2Fx%2Ftransactions'],
    ['a double-encoded dot-dot', '/v1/transactions/%252e%252e/events'],
    ['dot segments', '/v1/senders/../../v1/transactions/x'],
    ['a NUL in the id', '/v1/transactions/%00'],
  ])('%s never reaches a handler without a key', async (_n, path) => {
    const res = await send(`GET ${path} HTTP/1.1\r\nHost: ${host()}\r\n\r\n`);
    expect([401, 404]).toContain(res.status);
    expect(JSON.parse(res.body).error.code).toMatch(/unauthorized|not_found/);
  });

  it('an overlong path or header is refused (431), not a 500', async () => {
    const long = await send(`GET /v1/${'a'.repeat(100_000)} HTTP/1.1\r\nHost: ${host()}\r\n\r\n`);
    expect(long.status).toBe(431);
    const header = await send(
      `GET /healthz HTTP/1.1\r\nHost: ${host()}\r\nX-Big: ${'b'.repeat(100_000)}\r\n\r\n`,
    );
    expect(header.status).toBe(431);
  });

  it('Transfer-Encoding with Content-Length (request smuggling) is a 400', async () => {
    const res = await send(
      `POST /v1/senders/x/transactions HTTP/1.1\r\nHost: ${host()}\r\n` +
        'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n',
    );
    expect(res.status).toBe(400);
  });

  it('two Authorization headers are a 400, whichever comes first', async () => {
    const a = await sender();
    const b = await sender();
    for (const [first, second] of [
      [a.key, b.key],
      ['kk_forged_x', a.key],
    ]) {
      const res = await send(
        `GET /v1/transactions/00000000-0000-0000-0000-000000000000 HTTP/1.1\r\nHost: ${host()}\r\n` +
          `Authorization: Bearer ${first}\r\nAuthorization: Bearer ${second}\r\n\r\n`,
      );
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).error.details[0].field).toBe('headers.authorization');
    }
  });

  it('an oversized Idempotency-Key is a 400 naming the header', async () => {
    const s = await sender();
    const res = await s.create(envelope, { 'idempotency-key': 'k'.repeat(10_000) });
    expectField(res, 400, 'headers.idempotency-key');
  });

  it('a forged If-Match is a 400 or a 412, never applied', async () => {
    const s = await sender();
    const created = await s.create({ mail_from: { m: 'a@example.org' } });
    const patch = (ifMatch: string) =>
      s.api.patch(created.json.id, { add_rcpt_to: [{ m: 'c@example.org' }] }, ifMatch);
    expect((await patch('"99999999999999999999"')).status).toBe(400);
    expect((await patch('"1", "2"')).status).toBe(400);
    expect((await patch('"999"')).status).toBe(412);
    const view = await s.api('GET', `/v1/transactions/${created.json.id}`);
    expect(view.json.rcpt_to).toEqual([]);
  });

  it.each(['NaN', '1e309', '-1', ' '])('Request-Timeout %j is a 400', async (value) => {
    const s = await sender();
    const created = await s.create(envelope);
    const res = await s.api.poll(created.json.id, created.headers.get('etag')!, value);
    expect(res.status).toBe(400);
  });
});

describe('bodies', () => {
  const headerLines = (bytes: number) => 'X-Filler: abcdefghij\r\n'.repeat(Math.ceil(bytes / 22));

  it('a body upload with a million header lines is refused (413, body) after its first 256 KiB', async () => {
    const s = await sender();
    const created = await s.create(bare);
    const piece = Buffer.from(headerLines(64 * 1024));
    const total = piece.length * 336; // a million lines
    const c = rawConnection(router.url);
    c.socket.write(
      `PUT /v1/transactions/${created.json.id}/body HTTP/1.1\r\nHost: ${host()}\r\n` +
        `Authorization: Bearer ${s.key}\r\nContent-Type: message/rfc822\r\n` +
        `Content-Length: ${total}\r\n\r\n`,
    );
    let answered = false;
    const response = c.response().finally(() => {
      answered = true;
    });
    let sent = 0;
    while (sent < total && !answered && !c.socket.destroyed) {
      sent += piece.length;
      if (!c.socket.write(piece)) {
        await new Promise((resolve) => {
          c.socket.once('drain', resolve);
          c.socket.once('close', resolve);
          void response.then(resolve, resolve);
        });
      }
    }
    const res = await response;
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.details).toEqual([
      { field: 'body', message: `header section over ${256 * 1024} bytes` },
    ]);
    // refused while the client was still sending (what it sent is at most the socket buffers)
    expect(sent).toBeLessThan(total);
    await c.closed;
    const view = await s.api('GET', `/v1/transactions/${created.json.id}`);
    expect(view.json.body.status).not.toBe('finalized');
  });

  it('a header section over 256 KiB is refused across resumed chunks and inline', async () => {
    const s = await sender();
    const created = await s.create(bare);
    const chunk = (start: number, text: string) =>
      s.api.put(created.json.id, text, {
        'content-range': `bytes ${start}-${start + text.length - 1}/*`,
      });
    const first = headerLines(200 * 1024);
    expect((await chunk(0, first)).status).toBe(200);
    const second = await chunk(first.length, headerLines(100 * 1024));
    expectField(second, 413, 'body');

    const inline = await s.create({
      ...envelope,
      body: { inline: `${headerLines(300 * 1024)}\r\nHello.\r\n` },
    });
    expectField(inline, 413, 'body.inline');
    // a large body under a small header section is fine
    const big = await s.create({
      ...envelope,
      body: { inline: MESSAGE + `${'x'.repeat(76)}\r\n`.repeat(8000) },
    });
    expect(big.status).toBe(201);
  });
  it('__proto__ in JSON is refused, not merged', async () => {
    const s = await sender();
    const res = await s.api('POST', `/v1/senders/${s.name}/transactions`, {
      body: '{"__proto__":{"admin":true},"mail_from":{"m":"a@example.org"}}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
  });

  it('a deeply nested JSON anywhere (PATCH too) is a 400', async () => {
    const s = await sender();
    const created = await s.create({ mail_from: { m: 'a@example.org' } });
    const res = await s.api('PATCH', `/v1/transactions/${created.json.id}`, {
      body: `{"add_rcpt_to":${'['.repeat(5_000)}${']'.repeat(5_000)}}`,
      headers: { 'content-type': 'application/json', 'if-match': created.headers.get('etag')! },
    });
    expectField(res, 400, 'body');
  });

  it('brackets inside JSON strings do not count as nesting', async () => {
    const s = await sender();
    const res = await s.create({
      ...envelope,
      body: { inline: `${MESSAGE}${'[{'.repeat(1000)}\\"` },
    });
    expect(res.status).toBe(201);
  });

  it.each([
    ['a right-to-left override', 'b\u202e@example.org'],
    ['a zero-width direction mark', 'b@exa\u200fmple.org'],
  ])('an address with %s is a 400', async (_n, m) => {
    const s = await sender();
    const res = await s.create({ ...envelope, rcpt_to: [{ m }] });
    expectField(res, 400, 'body.rcpt_to[0].m');
  });

  it('an internationalised address is fine', async () => {
    const s = await sender();
    const res = await s.create({ ...envelope, rcpt_to: [{ m: 'jörg@exämple.org' }] });
    expect(res.status).toBe(201);
  });
});

describe('cross-sender access', () => {
  it("another sender's key cannot read, upload to, reuse, patch or cancel a transaction", async () => {
    const a = await sender();
    const b = await sender();
    const created = await a.create(bare);
    const id = created.json.id as string;
    expect((await b.api('GET', `/v1/transactions/${id}`)).status).toBe(404);
    expect((await b.api('GET', `/v1/transactions/${id}/events`)).status).toBe(404);
    expect((await b.api('PUT', `/v1/transactions/${id}/body`, { body: MESSAGE })).status).toBe(404);
    expect((await b.api('POST', `/v1/transactions/${id}/cancel`)).status).toBe(404);
    const patched = await b.api.patch(id, { heartbeat: true }, '"1"');
    expect(patched.status).toBe(404);
    // A's key on B's URL
    expect(
      (await a.api('POST', `/v1/senders/${b.name}/transactions`, { json: envelope })).status,
    ).toBe(403);
    // B reusing A's body
    await a.api('PUT', `/v1/transactions/${id}/body`, { body: MESSAGE });
    const reuse = await b.create({
      ...envelope,
      body: { reuse_uri: `/v1/transactions/${id}/body` },
    });
    expect(reuse.status).toBe(422);
    // guessed ids: not UUIDs, or UUIDs of nothing
    for (const guess of ['1', 'x%27%20or%201=1', '00000000-0000-0000-0000-000000000001']) {
      expect((await b.api('GET', `/v1/transactions/${guess}`)).status).toBe(404);
    }
  });
});
