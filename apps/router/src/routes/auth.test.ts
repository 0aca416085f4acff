import { Writable } from 'node:stream';
import { createApiKey, listApiKeys, revokeApiKey, schema } from '@koukan/db';
import type { TestDatabase } from '@koukan/db/testing';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactPaths } from '../app.ts';
import {
  client,
  MESSAGE,
  makeSender,
  type Res,
  type Router,
  startRouter,
  testDatabase,
} from '../testing/harness.ts';

let t: TestDatabase;
let router: Router;
const logLines: string[] = [];
beforeAll(async () => {
  t = await testDatabase();
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(String(chunk));
      cb();
    },
  });
  const logger = pino(
    { level: 'debug', redact: { paths: redactPaths, censor: '[redacted]' } },
    sink,
  );
  router = await startRouter(t, { logger });
});
afterAll(async () => {
  await router?.close();
  await t?.destroy();
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
    const s = await makeSender(t.db);
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
    const ok = await client(router.url, s.key)('POST', path, { json: envelope });
    expect(ok.status).toBe(201);
    const [row] = await listApiKeys(t.db, s.id);
    const get = () => client(router.url, s.key)('GET', `/v1/transactions/${ok.json.id}`);
    expect((await get()).status).toBe(200);
    await revokeApiKey(t.db, row!.id);
    // Authenticated keys are remembered for authCacheMs (1 s by default): refused within it.
    const revokedAt = Date.now();
    await expect.poll(async () => (await get()).status, { timeout: 3000 }).toBe(401);
    expect(Date.now() - revokedAt).toBeLessThan(2000);
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
    const a = await makeSender(t.db);
    const b = await makeSender(t.db);
    const off = await makeSender(t.db, { enabled: false });
    const other = await client(router.url, a.key)('POST', `/v1/senders/${b.name}/transactions`, {
      json: envelope,
    });
    expectError(other, 403, 'forbidden');
    expect(other.json.error.details[0].field).toBe('params.sender');
    const missing = await client(router.url, a.key)('POST', '/v1/senders/nobody/transactions', {
      json: envelope,
    });
    expectError(missing, 403, 'forbidden');
    const disabled = await client(router.url, off.key)(
      'POST',
      `/v1/senders/${off.name}/transactions`,
      { json: envelope },
    );
    expectError(disabled, 403, 'forbidden');
    expect(disabled.json.error.message).toContain('disabled');
  });

  it("404 for another sender's transaction on every transaction route; 403 once disabled", async () => {
    const a = await makeSender(t.db);
    const b = await makeSender(t.db);
    const created = await client(router.url, a.key)('POST', `/v1/senders/${a.name}/transactions`, {
      json: envelope,
    });
    expect(created.status).toBe(201);
    const id = created.json.id;
    const asB = client(router.url, b.key);
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
    const get = () => client(router.url, a.key)('GET', `/v1/transactions/${id}`);
    await expect.poll(async () => (await get()).status, { timeout: 3000 }).toBe(403);
    expectError(await get(), 403, 'forbidden');
  });

  it('one key registered for several senders acts for each', async () => {
    const a = await makeSender(t.db);
    const b = await makeSender(t.db);
    await createApiKey(t.db, { senderId: b.id, key: a.key });
    const api = client(router.url, a.key);
    for (const name of [a.name, b.name]) {
      const res = await api('POST', `/v1/senders/${name}/transactions`, { json: envelope });
      expect(res.status).toBe(201);
      expect(res.json.sender).toBe(name);
      expect((await api('GET', `/v1/transactions/${res.json.id}`)).status).toBe(200);
    }
  });

  it('never logs API keys or message bodies; logs carry the request id', async () => {
    const s = await makeSender(t.db);
    const secret = 'Subject: top-secret-body-marker';
    const res = await client(router.url, s.key)('POST', `/v1/senders/${s.name}/transactions`, {
      json: { ...envelope, body: { inline: `${secret}\r\n\r\nx\r\n` } },
      headers: { 'x-request-id': 'req-abc-123' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe('req-abc-123');
    const id = res.json.id;
    await client(router.url, s.key)('PUT', `/v1/transactions/${id}/body`, { body: secret });
    const logs = logLines.join('');
    expect(logs).toContain('req-abc-123');
    expect(logs).not.toContain(s.key);
    expect(logs).not.toContain(s.key.slice(14));
    expect(logs).not.toContain('top-secret-body-marker');
  });
});
