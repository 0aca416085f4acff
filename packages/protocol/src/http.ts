import type { LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import { Agent, type Dispatcher, Pool } from 'undici';

/**
 * The one HTTP transport of the protocol's clients: undici pools (one per origin, kept alive and
 * reused), with a connect timeout, a headers timeout (counted once the request is sent: a body
 * that is still streaming stalls it only while the server does not read), a body timeout (idle
 * time between response chunks) and a cap on the response size.
 */

export type TimeoutPhase = 'connect' | 'headers' | 'body' | 'deadline';
export type ProtocolErrorKind =
  | 'timeout'
  | 'network'
  | 'aborted'
  | 'too_large'
  | 'invalid'
  | 'status';

export class ProtocolError extends Error {
  /** The network error's code (e.g. ECONNREFUSED), when there is one. */
  code?: string;

  constructor(
    readonly kind: ProtocolErrorKind,
    message: string,
    readonly extra: { phase?: TimeoutPhase; reply?: Reply; cause?: unknown; code?: string } = {},
  ) {
    super(message, { cause: extra.cause });
    this.name = 'ProtocolError';
    this.code = extra.code;
  }

  get phase(): TimeoutPhase | undefined {
    return this.extra.phase;
  }
  get reply(): Reply | undefined {
    return this.extra.reply;
  }
}

export interface Reply {
  status: number;
  ok: boolean;
  text: string;
  header(name: string): string | undefined;
  /** The body as JSON; ProtocolError `invalid` when it is not. */
  json<T = unknown>(): T;
}

export interface HttpOptions {
  /** Connecting, name lookup included; default 10 s. */
  connectTimeoutMs?: number;
  /** From the end of the request to the response headers; default 30 s. */
  headersTimeoutMs?: number;
  /** Idle time between response body chunks; default 30 s. */
  bodyTimeoutMs?: number;
  /** Largest response body read; default 4 MiB. */
  maxResponseBytes?: number;
  /** Host name lookup (node's `dns.lookup` by default), for tests. */
  lookup?: LookupFunction;
}

export interface HttpCall {
  method: string;
  headers?: Record<string, string>;
  /** A string/Buffer, or a stream (piped with chunked encoding, never buffered). */
  body?: string | Buffer | Readable;
  signal?: AbortSignal;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
}

const isStream = (body: HttpCall['body']): body is Readable =>
  body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body);

const TIMEOUTS: Record<string, TimeoutPhase> = {
  UND_ERR_CONNECT_TIMEOUT: 'connect',
  UND_ERR_HEADERS_TIMEOUT: 'headers',
  UND_ERR_BODY_TIMEOUT: 'body',
};

export class HttpClient {
  private readonly agent: Agent;
  private readonly headersTimeoutMs: number;
  private readonly bodyTimeoutMs: number;
  private readonly maxResponseBytes: number;

  constructor(options: HttpOptions = {}) {
    this.headersTimeoutMs = options.headersTimeoutMs ?? 30_000;
    this.bodyTimeoutMs = options.bodyTimeoutMs ?? 30_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 4 * 1024 * 1024;
    this.agent = new Agent({
      factory: (origin, opts) => new Pool(origin, opts),
      connect: {
        timeout: options.connectTimeoutMs ?? 10_000,
        ...(options.lookup && { lookup: options.lookup }),
      },
      // No per-origin cap: each SMTP session of a gateway holds up to two requests at once (a
      // body streaming while DATA arrives, a long-poll for the reply); the callers bound it.
      connections: null,
      // closed before Node's default 5 s server keep-alive ends an idle connection
      keepAliveTimeout: 4_000,
    });
  }

  /**
   * One request. A request whose body can be sent again and that is safe to repeat (GET, a
   * create with an Idempotency-Key, a cancel) is sent once more when a kept-alive connection
   * turns out to have been closed by the server under it.
   */
  async request(url: string, call: HttpCall): Promise<Reply> {
    const repeatable =
      !isStream(call.body) &&
      (call.method === 'GET' ||
        call.headers?.['idempotency-key'] !== undefined ||
        url.endsWith('/cancel'));
    try {
      return await this.once(url, call);
    } catch (err) {
      const stale = err instanceof ProtocolError && err.kind === 'network' && err.extra.cause;
      const closed = stale && ['UND_ERR_SOCKET', 'ECONNRESET'].includes(err.code ?? '');
      if (!repeatable || !closed || call.signal?.aborted) throw err;
      return this.once(url, call);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  /**
   * One exchange through undici's dispatcher with a handler of our own: the response is
   * collected as it arrives (no response stream, no async resource per request).
   */
  private once(url: string, call: HttpCall): Promise<Reply> {
    const target = new URL(url);
    const body = call.body;
    if (isStream(body)) body.once('error', () => {});
    const { signal } = call;
    const max = this.maxResponseBytes;
    return new Promise<Reply>((resolve, reject) => {
      if (signal?.aborted) return reject(failure(signal.reason, signal));
      let abort: ((err: Error) => void) | undefined;
      let settled = false;
      const onAbort = () => abort?.(abortReason(signal!));
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (err: unknown, reply?: Reply) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (reply) resolve(reply);
        else reject(err instanceof ProtocolError ? err : failure(err, signal));
      };
      let status = 0;
      let raw: Buffer[] = [];
      const chunks: Buffer[] = [];
      let size = 0;
      const handler: LegacyHandler = {
        onConnect(a) {
          abort = a;
          if (signal?.aborted) a(abortReason(signal));
        },
        onHeaders(code, headers) {
          // 1xx: informational, the final answer follows
          if (code < 200) return true;
          status = code;
          raw = headers;
          return true;
        },
        onData(chunk) {
          size += chunk.length;
          if (size > max) {
            const err = new ProtocolError('too_large', `response larger than ${max} bytes`);
            settle(err);
            abort?.(err);
            return false;
          }
          chunks.push(chunk);
          return true;
        },
        onComplete() {
          const whole = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
          settle(undefined, reply(status, raw, whole.toString('utf8')));
        },
        onError(err) {
          settle(err);
        },
      };
      try {
        this.agent.dispatch(
          {
            origin: target.origin,
            path: `${target.pathname}${target.search}`,
            method: call.method as Dispatcher.HttpMethod,
            headers: call.headers,
            body,
            headersTimeout: call.headersTimeoutMs ?? this.headersTimeoutMs,
            bodyTimeout: call.bodyTimeoutMs ?? this.bodyTimeoutMs,
          },
          handler as unknown as Dispatcher.DispatchHandler,
        );
      } catch (err) {
        settle(err);
      }
    });
  }
}

/** undici's own handler interface (the one its dispatchers call without an adapter). */
interface LegacyHandler {
  onConnect(abort: (err: Error) => void): void;
  onHeaders(status: number, headers: Buffer[], resume: () => void, text: string): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: Buffer[] | null): void;
  onError(err: Error): void;
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('request aborted');
}

/** The reply; its headers are parsed on the first lookup (most replies need one or two). */
function reply(status: number, raw: Buffer[], text: string): Reply {
  let headers: Map<string, string> | undefined;
  const parse = () => {
    const map = new Map<string, string>();
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const key = raw[i]!.toString('latin1').toLowerCase();
      if (!map.has(key)) map.set(key, raw[i + 1]!.toString('latin1'));
    }
    return map;
  };
  return {
    status,
    ok: status >= 200 && status < 300,
    text,
    header: (name) => {
      headers ??= parse();
      return headers.get(name.toLowerCase());
    },
    json: <T>() => {
      try {
        return JSON.parse(text) as T;
      } catch (cause) {
        throw new ProtocolError('invalid', `HTTP ${status}: not JSON`, { cause });
      }
    },
  };
}

function failure(err: unknown, signal: AbortSignal | undefined): Error {
  if (signal?.aborted) {
    return signal.reason instanceof Error
      ? signal.reason
      : new ProtocolError('aborted', 'request aborted', { cause: err });
  }
  const code = (err as { code?: string }).code;
  const phase = code ? TIMEOUTS[code] : undefined;
  if (phase) return new ProtocolError('timeout', `${phase} timeout`, { phase, cause: err, code });
  const message = err instanceof Error ? err.message : String(err);
  return new ProtocolError('network', message, { cause: err, code: code ?? 'error' });
}
