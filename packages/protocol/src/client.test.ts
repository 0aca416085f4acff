import type { RequestListener } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ProtocolClient, transactionOf } from './client.ts';
import { FakeServer } from './testing/fake-server.ts';

afterEach(FakeServer.closeAll);
const serve = async (handler: RequestListener) =>
  new ProtocolClient({ baseUrl: `${await FakeServer.serve(handler)}/`, apiKey: 'k' });

describe('ProtocolClient.waitFor', () => {
  it('long-polls with If-None-Match and Request-Timeout until the answer appears', async () => {
    const seen: string[] = [];
    let version = 1;
    const client = await serve((req, res) => {
      seen.push(`${req.headers['if-none-match']} ${req.headers['request-timeout']}`);
      version++;
      const done = version > 3;
      res.writeHead(200, { etag: `"${version}"`, 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ id: 't', data_response: done ? { code: 250, message: 'ok' } : null }),
      );
    });
    const url = client.transactionUrl('t');
    const { value, state } = await client.waitFor(
      { url, etag: '"1"', transaction: { id: 't' } },
      (t) => t.data_response ?? undefined,
      { deadline: Date.now() + 20_000, pollSeconds: 5 },
    );
    expect(value).toEqual({ code: 250, message: 'ok' });
    expect(state.etag).toBe('"4"');
    expect(seen).toEqual(['"1" 5', '"2" 5', '"3" 5']);
  });

  it('does not hot-loop on a server that ignores If-None-Match, and gives up at the deadline', async () => {
    let gets = 0;
    const client = await serve((_req, res) => {
      gets++;
      res.writeHead(200, { etag: '"1"', 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 't', rcpt_response: [null] }));
    });
    const wait = client.waitFor(
      { url: client.transactionUrl('t'), etag: '"1"', transaction: { id: 't' } },
      (t) => t.rcpt_response?.[0] ?? undefined,
      { deadline: Date.now() + 1000 },
    );
    await expect(wait).rejects.toMatchObject({ kind: 'timeout', phase: 'deadline' });
    expect(gets).toBeLessThan(20);
  });

  it('reports a reply other than 200/304 with the reply', async () => {
    const client = await serve((_req, res) => res.writeHead(404).end('{}'));
    const wait = client.waitFor(
      { url: client.transactionUrl('t'), etag: undefined, transaction: { id: 't' } },
      () => undefined,
      { deadline: Date.now() + 5000 },
    );
    await expect(wait).rejects.toMatchObject({ kind: 'status', reply: { status: 404 } });
  });
});

describe('ProtocolClient', () => {
  it('addresses a transaction by its absolute Location, else under the base', async () => {
    const client = new ProtocolClient({ baseUrl: 'http://a:1/' });
    expect(client.transactionUrl('x y')).toBe('http://a:1/v1/transactions/x%20y');
    expect(client.transactionUrl('x', 'http://b:2/v1/transactions/x')).toBe(
      'http://b:2/v1/transactions/x',
    );
    expect(client.transactionUrl('x', 'http://b:2/elsewhere')).toBe('http://a:1/v1/transactions/x');
  });

  it('reads the transaction of a body upload wrapped or bare, and refuses other JSON', async () => {
    const reply = (body: unknown) => ({
      status: 200,
      ok: true,
      text: '',
      header: () => undefined,
      json: <T>() => body as T,
    });
    expect(transactionOf(reply({ upload: {}, transaction: { id: 'a' } })).id).toBe('a');
    expect(transactionOf(reply({ id: 'b', status: 'x' })).id).toBe('b');
    expect(() => transactionOf(reply({ nope: 1 }))).toThrow(/not a transaction/);
  });

  it('sends the API key, JSON and the Idempotency-Key of a create', async () => {
    let got: unknown;
    const client = await serve(async (req, res) => {
      let body = '';
      for await (const c of req) body += c;
      got = { auth: req.headers.authorization, key: req.headers['idempotency-key'], body };
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"t"}');
    });
    const r = await client.create('s/1', { a: 1 }, { idempotencyKey: 'k1' });
    expect(r.status).toBe(201);
    expect(got).toEqual({ auth: 'Bearer k', key: 'k1', body: '{"a":1}' });
  });
});
