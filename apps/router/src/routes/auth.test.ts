import { Writable } from 'node:stream';
import { createApiKey, listApiKeys, revokeApiKey, schema } from '@koukan/db';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { redactPaths } from '../app.ts';
import { client, MESSAGE, makeSender, type Res, routerSuite } from '../testing/harness.ts';

const logLines: string[] = [];
const sink = new Writable({
  write(chunk, _enc, cb) {
    logLines.push(String(chunk));
    cb();
  },
});
const { t, router, sender } = routerSuite({
  logger: pino({ level: 'debug', redact: { paths: redactPaths, censor: '[redacted]' } }, sink),
});

const envelope = {
  mail_from: { m: 'a@example.org' },
  rcpt_to: [{ m: 'b@example.org' }],
  body: { inline: MESSAGE },
};

function expectError(res: Res, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.json.error.code).toBe(code);
  expect(typeof res.json.error.message).toBe('string');
  expect(Array.isArray(res.json.error.details)).toBe(true);
}

describe('authentication', () => {
  it('401 without a key, with a malformed header, with an unknown or revoked key', async () => {
    const s = await sender();
    const path = `/v1/senders/${s.name}/transactions`;
    const none = await client(router.url, null)('POST', path, { json: envelope });
    expectError(none, 401, 'unauthorized');
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(none.json.error.details[0].field).toBe('headers.authorization');
    const basic = await client(router.url, null)('POST', path, {
      json: envelope,
      headers: { authorization: 'Basic Zm9vOmJhcg==' },
    });
    expectError(basic, 401, 'unauthorized');
    const unknown = await client(router.url, `kk_AAAAAAAAAA_${'x'.repeat(43)}`)('POST', path, {
      json: envelope,
    });
    expectError(unknown, 401, 'unauthorized');
    const junk = await client(router.url, 'nonsense')('GET', '/v1/transactions/whatever');
    expectError(junk, 401, 'unauthorized');
    const ok = await s.create(envelope);
    expect(ok.status).toBe(201);
    const [row] = await listApiKeys(t.db, s.id);
    const get = () => s.api('GET', `/v1/transactions/${ok.json.id}`);
    expect((await get()).status).toBe(200);
    await revokeApiKey(t.db, row!.id);
    // Refused on the change notification, or once authCacheMs (1 s by default) has passed: the
    // cache's expiry itself is tested on a fake clock in @koukan/services (senders.test.ts).
    await expect.poll(async () => (await get()).status, { timeout: 3000 }).toBe(401);
    expectError(await get(), 401, 'unauthorized');
  });

  it('401 comes before body validation', async () => {
    const s = await makeSender(t.db);
    const res = await client(router.url, null)('POST', `/v1/senders/${s.name}/transactions`, {
      body: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    expectError(res, 401, 'unauthorized');
  });

  it("403 for another sender's key, an unknown sender and a disabled sender", async () => {
    const a = await sender();
    const b = await makeSender(t.db);
    const off = await sender({ enabled: false });
    const other = await a.api('POST', `/v1/senders/${b.name}/transactions`, { json: envelope });
    expectError(other, 403, 'forbidden');
    expect(other.json.error.details[0].field).toBe('params.sender');
    const missing = await a.api('POST', '/v1/senders/nobody/transactions', { json: envelope });
    expectError(missing, 403, 'forbidden');
    const disabled = await off.create(envelope);
    expectError(disabled, 403, 'forbidden');
    expect(disabled.json.error.message).toContain('disabled');
  });

  it("404 for another sender's transaction on every transaction route; 403 once disabled", async () => {
    const a = await sender();
    const asB = (await sender()).api;
    const created = await a.create(envelope);
    expect(created.status).toBe(201);
    const id = created.json.id;
    for (const [method, path, init] of [
      ['GET', `/v1/transactions/${id}`, {}],
      ['GET', `/v1/transactions/${id}/events`, {}],
      ['POST', `/v1/transactions/${id}/cancel`, {}],
      [
        'PATCH',
        `/v1/transactions/${id}`,
        { json: { heartbeat: true }, headers: { 'if-match': '"1"' } },
      ],
      ['PUT', `/v1/transactions/${id}/body`, { body: MESSAGE }],
      ['PUT', `/v1/transactions/${id}/blob/x`, { body: 'x' }],
    ] as const) {
      const res = await asB(method, path, init);
      expectError(res, 404, 'not_found');
    }
    expectError(await asB('GET', '/v1/transactions/not-a-uuid'), 404, 'not_found');
    await t.db.update(schema.senders).set({ enabled: false }).where(eq(schema.senders.id, a.id));
    const get = () => a.api('GET', `/v1/transactions/${id}`);
    await expect.poll(async () => (await get()).status, { timeout: 3000 }).toBe(403);
    expectError(await get(), 403, 'forbidden');
  });

  it('one key registered for several senders acts for each', async () => {
    const { api, ...a } = await sender();
    const b = await makeSender(t.db);
    await createApiKey(t.db, { senderId: b.id, key: a.key });
    for (const name of [a.name, b.name]) {
      const res = await api('POST', `/v1/senders/${name}/transactions`, { json: envelope });
      expect(res.status).toBe(201);
      expect(res.json.sender).toBe(name);
      expect((await api('GET', `/v1/transactions/${res.json.id}`)).status).toBe(200);
    }
  });

  it('never logs API keys or message bodies; logs carry the request id', async () => {
    const s = await sender();
    const secret = 'Subject: top-secret-body-marker';
    const res = await s.create(
      { ...envelope, body: { inline: `${secret}\r\n\r\nx\r\n` } },
      { 'x-request-id': 'req-abc-123' },
    );
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe('req-abc-123');
    const id = res.json.id;
    await s.api('PUT', `/v1/transactions/${id}/body`, { body: secret });
    const logs = logLines.join('');
    expect(logs).toContain('req-abc-123');
    expect(logs).not.toContain(s.key);
    expect(logs).not.toContain(s.key.slice(14));
    expect(logs).not.toContain('top-secret-body-marker');
  });

  it("logs the socket's address, never one a client claims in a forwarding header", async () => {
    const res = await client(router.url, null)('GET', '/healthz', {
      headers: {
        'x-request-id': 'req-forwarded-1',
        'x-forwarded-for': '6.6.6.6',
        'x-real-ip': '6.6.6.7',
        forwarded: 'for=6.6.6.8',
      },
    });
    expect(res.status).toBe(200);
    const lines = logLines.filter((l) => l.includes('req-forwarded-1')).map((l) => JSON.parse(l));
    expect(lines.find((l) => l.req)?.req.remoteAddress).toBe('127.0.0.1');
    expect(JSON.stringify(lines)).not.toContain('6.6.6.');
  });
});
