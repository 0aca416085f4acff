import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpTimeoutError, httpRequest } from './http-client.ts';

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

async function serve(handler: http.RequestListener) {
  const s = http.createServer(handler);
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  servers.push(s);
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

describe('httpRequest', () => {
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
    const res = await httpRequest({
      method: 'PUT',
      url,
      body,
      connectTimeoutMs: 1000,
      responseTimeoutMs: 5000,
    });
    expect(res).toMatchObject({ status: 200, body: String(100 * 65536) });
  });

  it('times out connecting (the name lookup never answers: DNS is the stub here)', async () => {
    const started = Date.now();
    const err = await httpRequest({
      method: 'GET',
      url: 'http://never-resolves.test/',
      connectTimeoutMs: 100,
      responseTimeoutMs: 5000,
      lookup: () => {},
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpTimeoutError);
    expect((err as HttpTimeoutError).phase).toBe('connect');
    expect(Date.now() - started).toBeLessThan(4000); // well before the 5 s response timeout
  });

  it('times out waiting for a response, and honours an abort signal', async () => {
    const url = await serve(() => {});
    const err = await httpRequest({
      method: 'GET',
      url,
      connectTimeoutMs: 1000,
      responseTimeoutMs: 100,
    }).catch((e: unknown) => e);
    expect((err as HttpTimeoutError).phase).toBe('response');
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('filter timed out')), 50);
    const aborted = await httpRequest({
      method: 'GET',
      url,
      connectTimeoutMs: 1000,
      responseTimeoutMs: 5000,
      signal: ac.signal,
    }).catch((e: unknown) => e);
    expect((aborted as Error).message).toBe('filter timed out');
  });
});
