import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';

export class HttpTimeoutError extends Error {
  constructor(readonly phase: 'connect' | 'response') {
    super(`${phase} timeout`);
    this.name = 'HttpTimeoutError';
  }
}

export type HttpRequest = {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** a string/Buffer or a stream (piped, never buffered) */
  body?: string | Buffer | Readable;
  connectTimeoutMs: number;
  /** from the end of the request until the whole response has arrived */
  responseTimeoutMs: number;
  signal?: AbortSignal;
  /** host name lookup (node's `dns.lookup` by default); time spent here counts as connecting */
  lookup?: LookupFunction;
};

export type HttpResponse = { status: number; headers: http.IncomingHttpHeaders; body: string };

const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** A small HTTP client over node:http with separate connect and response timeouts. */
export function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(req.url);
    const lib = url.protocol === 'https:' ? https : http;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const done = (err: Error | undefined, res?: HttpResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      if (err) {
        r.destroy();
        reject(err);
      } else resolve(res!);
    };
    const onAbort = () =>
      done(req.signal?.reason instanceof Error ? req.signal.reason : new Error('aborted'));
    const r = lib.request(url, {
      method: req.method,
      headers: req.headers,
      agent: false,
      ...(req.lookup ? { lookup: req.lookup } : {}),
    });
    timer = setTimeout(() => done(new HttpTimeoutError('connect')), req.connectTimeoutMs);
    let isConnected = false;
    const armResponseTimer = () => {
      if (!isConnected) return;
      clearTimeout(timer);
      timer = setTimeout(() => done(new HttpTimeoutError('response')), req.responseTimeoutMs);
    };
    r.on('socket', (socket) => {
      // while the body uploads only stalls count: each chunk re-arms the response timer
      const connected = () => {
        isConnected = true;
        armResponseTimer();
      };
      if (socket.connecting) socket.once('connect', connected);
      else connected();
    });
    r.on('finish', armResponseTimer);
    r.on('error', (err) => done(err));
    r.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_RESPONSE_BYTES) return done(new Error('response too large'));
        chunks.push(c);
      });
      res.on('error', (err) => done(err));
      res.on('end', () =>
        done(undefined, {
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    if (req.signal?.aborted) return onAbort();
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const body = req.body;
    if (body === undefined) r.end();
    else if (typeof body === 'string' || Buffer.isBuffer(body)) r.end(body);
    else {
      body.on('error', (err) => done(err));
      body.on('data', armResponseTimer);
      body.pipe(r);
    }
  });
}
