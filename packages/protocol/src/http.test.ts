import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient, ProtocolError } from './http.ts';
import { FakeServer } from './testing/fake-server.ts';

afterEach(FakeServer.closeAll);
const serve = FakeServer.serve;

const client = new HttpClient({ connectTimeoutMs: 1000, headersTimeoutMs: 5000 });

describe('HttpClient', () => {
  it('streams a request body and returns the response', async () => {
    const url = await serve(async (req, res) => {
      let n = 0;
      for await (const c of req) n += (c as Buffer).length;
      res.end(String(n));
    });
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < 100; i++) yield Buffer.alloc(65536, i);
      })(),
    );
    const res = await client.request(url, { method: 'PUT', body });
    expect(res).toMatchObject({ status: 200, text: String(100 * 65536) });
  });

  it('times out connecting (the name lookup never answers: DNS is the stub here)', async () => {
    const never = new HttpClient({ connectTimeoutMs: 100, lookup: () => {} });
    const err = await never
      .request('http://never-resolves.test/', { method: 'GET' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    // the connect timeout, not the 5 s response timeout, ended it
    expect((err as ProtocolError).phase).toBe('connect');
  });

  it('times out waiting for a response, and honours an abort signal', async () => {
    const url = await serve(() => {});
    const err = await client
      .request(url, { method: 'GET', headersTimeoutMs: 100 })
      .catch((e: unknown) => e);
    expect((err as ProtocolError).phase).toBe('headers');
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('filter timed out')), 50);
    const aborted = await client
      .request(url, { method: 'GET', signal: ac.signal })
      .catch((e: unknown) => e);
    expect((aborted as Error).message).toBe('filter timed out');
  });

  it('reads headers by any case, the first of a repeated one', async () => {
    const url = await serve((_req, res) => {
      res.setHeader('ETag', '"t1.2"');
      res.setHeader('x-twice', ['first', 'second']);
      res.end('{"id":"t1"}');
    });
    const res = await client.request(url, { method: 'GET' });
    expect(res.header('etag')).toBe('"t1.2"');
    expect(res.header('ETag')).toBe('"t1.2"');
    expect(res.header('x-twice')).toBe('first');
    expect(res.header('absent')).toBeUndefined();
    expect(res.json()).toEqual({ id: 't1' });
  });

  it('sends nothing for an aborted signal, and stops a response body midway on abort', async () => {
    let requests = 0;
    const url = await serve((_req, res) => {
      requests++;
      res.write('partial');
    });
    const gone = AbortSignal.abort(new Error('given up'));
    const before = await client
      .request(url, { method: 'GET', signal: gone })
      .catch((e: unknown) => e);
    expect((before as Error).message).toBe('given up');
    expect(requests).toBe(0);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('filter timed out')), 100);
    const midway = await client
      .request(url, { method: 'GET', signal: ac.signal })
      .catch((e: unknown) => e);
    expect((midway as Error).message).toBe('filter timed out');
    const idle = await client
      .request(url, { method: 'GET', bodyTimeoutMs: 100 })
      .catch((e: unknown) => e);
    expect(idle).toMatchObject({ kind: 'timeout', phase: 'body' });
  });

  it('caps the response size', async () => {
    const url = await serve((_req, res) => res.end(Buffer.alloc(70_000)));
    const small = new HttpClient({ maxResponseBytes: 65_536 });
    const err = await small.request(url, { method: 'GET' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'too_large' });
    expect((await client.request(url, { method: 'GET' })).text).toHaveLength(70_000);
  });

  it('sends a repeatable request again when a kept-alive connection was closed under it', async () => {
    let n = 0;
    const url = await serve((req, res) => {
      n++;
      // the second request arrives on the kept-alive connection, which the server drops
      if (n === 2) return req.socket.destroy();
      res.end(String(n));
    });
    expect((await client.request(url, { method: 'GET' })).text).toBe('1');
    expect((await client.request(url, { method: 'GET' })).text).toBe('3');
    const once = await client
      .request(url, { method: 'POST', body: 'x' })
      .then((r) => r.text)
      .catch((e: unknown) => e);
    expect(once).toBe('4');
  });
});
