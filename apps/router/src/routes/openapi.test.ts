import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it, onTestFinished } from 'vitest';
import { rawConnection } from '../../../../tooling/raw-connection.ts';
import { client, routerSuite, startRouter } from '../testing/harness.ts';

const { router } = routerSuite();

const api = () => client(router.url, null);

/** Every API route, as documented: method and OpenAPI path. */
const expected = [
  'post /v1/senders/{sender}/transactions',
  'get /v1/senders/{sender}/smtp-submission',
  'get /v1/senders/{sender}/transactions',
  'get /v1/transactions/{id}',
  'patch /v1/transactions/{id}',
  'post /v1/transactions/{id}/cancel',
  'get /v1/transactions/{id}/events',
  'put /v1/transactions/{id}/body',
  'put /v1/transactions/{id}/blob/{blob_id}',
  'get /healthz',
  'get /readyz',
];

describe('OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    const res = await api()('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.json.openapi).toMatch(/^3\.1\./);
    const validator = new Validator();
    const result = await validator.validate(res.json);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents exactly the routes the app serves', async () => {
    const doc = (await api()('GET', '/openapi.json')).json;
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`))
      .sort();
    expect(documented).toEqual([...expected].sort());
    for (const entry of expected) {
      const [method, path] = entry.split(' ') as [string, string];
      const url = path.replaceAll(/\{(\w+)\}/g, ':$1');
      expect(router.app.hasRoute({ method: method.toUpperCase() as 'GET', url })).toBe(true);
    }
  });

  it('describes bodies, security, and error responses', async () => {
    const doc = (await api()('GET', '/openapi.json')).json;
    const create = doc.paths['/v1/senders/{sender}/transactions'].post;
    expect(create.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(create.requestBody.content)).toContain('application/json');
    expect(Object.keys(create.responses)).toEqual(
      expect.arrayContaining(['201', '400', '401', '403', '422']),
    );
    const upload = doc.paths['/v1/transactions/{id}/body'].put;
    expect(Object.keys(upload.requestBody.content)).toContain('message/rfc822');
    expect(upload.parameters.map((p: { name: string }) => p.name)).toContain('content-range');
    const get = doc.paths['/v1/transactions/{id}'].get;
    expect(get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['id', 'if-none-match', 'request-timeout']),
    );
    expect(doc.components.securitySchemes.bearerAuth.scheme).toBe('bearer');
    expect(doc.info.description).toContain('curl');
  });
});

describe('/docs', () => {
  it('serves a try-it-out page whose assets are all local (no CDN)', async () => {
    const res = await fetch(`${router.url}/docs`, { redirect: 'follow' });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('swagger-ui');
    expect(html).not.toMatch(/(src|href)=["']https?:/);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      const url = new URL(asset, res.url).toString();
      const r = await fetch(url);
      expect(r.status, url).toBe(200);
    }
    const init = await (await fetch(`${router.url}/docs/static/swagger-initializer.js`)).text();
    expect(init).toContain('validatorUrl: null');
    expect(init).toContain("resolveUrl('./json')");
  });
});

describe('operations', () => {
  it('healthz and readyz', async () => {
    expect((await api()('GET', '/healthz')).json).toEqual({ status: 'ok' });
    expect((await api()('GET', '/readyz')).json).toEqual({ status: 'ready' });
  });

  it('readyz is 503 against an unmigrated database', async () => {
    const { createTestDatabase } = await import('@koukan/db/testing');
    const empty = await createTestDatabase({ migrate: false });
    onTestFinished(() => empty.destroy());
    const r = await startRouter(empty, { listen: false });
    onTestFinished(() => r.close());
    const res = await client(r.url, null)('GET', '/readyz');
    expect(res.status).toBe(503);
    expect(res.json.error.code).toBe('unavailable');
  });

  it('metrics: requests by route and status, latency, transactions by status', async () => {
    await api()('GET', '/healthz');
    await api()('GET', '/v1/transactions/x');
    const res = await fetch(`${router.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(
      /koukan_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/,
    );
    expect(text).toMatch(/route="\/v1\/transactions\/:id",status="401"/);
    expect(text).toContain('koukan_http_request_duration_seconds_bucket');
    expect(text).toContain('# TYPE koukan_transactions gauge');
  });

  it('unknown routes and methods answer a JSON 404', async () => {
    const res = await api()('GET', '/v2/nothing');
    expect(res.status).toBe(404);
    expect(res.json.error).toMatchObject({ code: 'not_found' });
    const del = await api()('DELETE', '/v1/transactions/x');
    expect(del.status).toBe(404);
    expect(del.json.error.code).toBe('not_found');
  });

  it('a request the HTTP parser rejects still gets a JSON error', async () => {
    const c = rawConnection(router.url);
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n');
    await c.closed;
    const answer = c.received;
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(JSON.parse(answer.split('\r\n\r\n')[1]!).error.code).toBe('bad_request');
  });

  it('echoes a request id, or makes one', async () => {
    const given = await api()('GET', '/healthz', { headers: { 'x-request-id': 'abc-1' } });
    expect(given.headers.get('x-request-id')).toBe('abc-1');
    const made = await api()('GET', '/healthz', { headers: { 'x-request-id': 'bad id\u00e9' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
