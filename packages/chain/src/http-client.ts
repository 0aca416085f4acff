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

/**
 * Connections are kept alive and reused (a delivery makes several requests to the same next
 * hop). An idle one is closed after 4 s, before Node's default 5 s server keep-alive ends it.
 */
const agentOptions = { keepAlive: true, timeout: 4000, maxFreeSockets: 64 };
const agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };

/**
 * Like `request`, but a request whose body can be sent again is retried once when a reused
 * keep-alive connection turns out to have been closed by the server (it never saw the request).
 */
export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  try {
    return await request(req);
  } catch (err) {
    const retriable = err instanceof StaleConnectionError && !isStream(req.body);
    if (!retriable || req.signal?.aborted)
      throw err instanceof StaleConnectionError ? err.cause : err;
    return request(req);
  }
}

class StaleConnectionError extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

const isStream = (body: HttpRequest['body']): body is Readable =>
  body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body);

/** A small HTTP client over node:http with separate connect and response timeouts. */
function request(req: HttpRequest): Promise<HttpResponse> {
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
      agent: agents[url.protocol as keyof typeof agents] ?? false,
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
    r.on('error', (err) => {
      const reset = (err as NodeJS.ErrnoException).code === 'ECONNRESET';
      done(reset && r.reusedSocket && !gotResponse ? new StaleConnectionError(err) : err);
    });
    let gotResponse = false;
    r.on('response', (res) => {
      gotResponse = true;
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
    else if (isStream(body)) {
      body.on('error', (err) => done(err));
      body.on('data', armResponseTimer);
      body.pipe(r);
    }
  });
}
