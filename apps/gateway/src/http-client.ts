import { Agent, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';

/**
 * A small keep-alive HTTP client over node:http. Node 20's fetch costs 5–9 ms per request on
 * loopback here against ~1 ms for node:http with a keep-alive agent, and the gateway makes four
 * or five router calls per SMTP transaction.
 */
export interface HttpResponse {
  status: number;
  ok: boolean;
  header(name: string): string | undefined;
  json<T>(): T;
}

export interface HttpRequest {
  method: string;
  headers?: Record<string, string>;
  /** A string, or a stream sent with chunked transfer encoding. */
  body?: string | Readable;
  timeoutMs?: number;
  signal?: AbortSignal;
}

// No per-host socket cap: each SMTP session holds up to two requests to the router at once (a
// body upload streaming while DATA arrives, a long-poll for the reply), so a cap below twice
// the SMTP client limit (KOUKAN_SMTP_MAX_CLIENTS) queues new sessions' commands behind
// sessions still sending DATA — a burst then times out at MAIL. The SMTP client limit bounds it.
const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

export class HttpError extends Error {
  constructor(
    readonly kind: 'timeout' | 'aborted' | 'network',
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function httpRequest(url: string, init: HttpRequest): Promise<HttpResponse> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  return new Promise((resolve, reject) => {
    let done = false;
    const fail = (err: HttpError) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      init.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      reject(err);
    };
    const onAbort = () => fail(new HttpError('aborted', 'request aborted'));
    const req = (secure ? httpsRequest : request)(
      target,
      { method: init.method, headers: init.headers, agent: secure ? httpsAgent : agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => fail(new HttpError('network', 'response interrupted')));
        res.on('end', () => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          init.signal?.removeEventListener('abort', onAbort);
          const status = res.statusCode ?? 0;
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({
            status,
            ok: status >= 200 && status < 300,
            header: (name) => {
              const v = res.headers[name.toLowerCase()];
              return Array.isArray(v) ? v[0] : v;
            },
            json: <T>() => JSON.parse(body) as T,
          });
        });
      },
    );
    const timer = setTimeout(
      () => fail(new HttpError('timeout', 'request timed out')),
      init.timeoutMs ?? 30_000,
    );
    req.on('error', (err) => fail(new HttpError('network', err.message)));
    if (init.signal?.aborted) return onAbort();
    init.signal?.addEventListener('abort', onAbort, { once: true });
    if (init.body === undefined) req.end();
    else if (typeof init.body === 'string') req.end(init.body);
    else {
      init.body.on('error', () => fail(new HttpError('aborted', 'body stream failed')));
      init.body.pipe(req);
    }
  });
}
