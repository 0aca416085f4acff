import type { Readable } from 'node:stream';
import type { z } from 'zod';
import { MAX_REQUEST_TIMEOUT_S } from './headers.ts';
import { HttpClient, ProtocolError, type Reply } from './http.ts';
import { type ProtocolTransaction, transactionReplySchema } from './schemas.ts';

/** A transaction as a client tracks it: where it lives, its last ETag and its last JSON. */
export interface TransactionState {
  url: string;
  etag: string | undefined;
  transaction: ProtocolTransaction;
}

export interface ClientOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:8000`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** The transport (its pools and timeouts); default: one shared with every client. */
  http?: HttpClient;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Headers timeout of this call (see HttpClient). */
  timeoutMs?: number;
  headers?: Record<string, string>;
}

/** The transport of clients that bring none. */
const shared = new HttpClient();

/**
 * The transaction JSON of a 2xx reply (a body upload's wrapped one too), read with `schema`
 * (default: the protocol's whole transaction); `invalid` otherwise.
 */
export function transactionOf(reply: Reply): ProtocolTransaction;
export function transactionOf<T>(reply: Reply, schema: z.ZodType<T>): T;
export function transactionOf(reply: Reply, schema: z.ZodType = transactionReplySchema): unknown {
  // the router wraps a body upload's answer ({upload, transaction}), the gateway sends it bare
  const json = reply.json<{ transaction?: unknown } | null>();
  const wrapped = typeof json?.transaction === 'object' && json.transaction !== null;
  const parsed = schema.safeParse(wrapped ? json.transaction : json);
  if (!parsed.success) throw new ProtocolError('invalid', 'not a transaction', { reply });
  return parsed.data;
}

/**
 * The one client of the transaction protocol. Methods answer the raw reply (callers decide what
 * a status means to them); `waitFor` is the long-poll loop.
 */
export class ProtocolClient {
  readonly base: string;
  private readonly http: HttpClient;
  private readonly auth: Record<string, string>;

  constructor(options: ClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.http = options.http ?? shared;
    this.auth = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  }

  /** The URL of a transaction: an absolute `Location` of this API (a replica), else under the base. */
  transactionUrl(id: string, location?: string): string {
    if (location && /^https?:\/\/[^/]+\/v1\/transactions\/[^/?#]+$/.test(location)) return location;
    return `${this.base}/v1/transactions/${encodeURIComponent(id)}`;
  }

  request(
    method: string,
    path: string,
    o: CallOptions & { json?: unknown; body?: string | Buffer | Readable } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...this.auth,
      ...(o.json !== undefined && { 'content-type': 'application/json' }),
      ...o.headers,
    };
    return this.http.request(/^https?:/.test(path) ? path : `${this.base}${path}`, {
      method,
      headers,
      body: o.json !== undefined ? JSON.stringify(o.json) : o.body,
      signal: o.signal,
      headersTimeoutMs: o.timeoutMs,
      bodyTimeoutMs: o.timeoutMs,
    });
  }

  create(sender: string, json: unknown, o: CallOptions & { idempotencyKey?: string } = {}) {
    const key: Record<string, string> = o.idempotencyKey
      ? { 'idempotency-key': o.idempotencyKey }
      : {};
    const path = `/v1/senders/${encodeURIComponent(sender)}/transactions`;
    return this.request('POST', path, { ...o, json, headers: { ...o.headers, ...key } });
  }

  get(url: string, o: CallOptions = {}) {
    return this.request('GET', url, o);
  }

  patch(url: string, etag: string, json: unknown, o: CallOptions = {}) {
    return this.request('PATCH', url, { ...o, json, headers: { ...o.headers, 'if-match': etag } });
  }

  putBody(url: string, body: Readable | Buffer | string, o: CallOptions = {}) {
    const headers = { 'content-type': 'message/rfc822', ...o.headers };
    return this.request('PUT', `${url}/body`, { ...o, body, headers });
  }

  cancel(url: string, o: CallOptions = {}) {
    return this.request('POST', `${url}/cancel`, o);
  }

  /**
   * The long-poll loop: GETs with `If-None-Match` and `Request-Timeout` until `pick` finds what
   * it wants in the transaction, or `deadline` (epoch ms) passes (ProtocolError `timeout`,
   * phase `deadline`). A reply other than 200/304 is a ProtocolError `status` with the reply.
   * A server that answers at once without a change (no long-poll) is not polled in a hot loop.
   */
  async waitFor<T>(
    start: TransactionState,
    pick: (t: ProtocolTransaction) => T | undefined,
    o: {
      deadline: number;
      pollSeconds?: number;
      signal?: AbortSignal;
      headers?: Record<string, string>;
    },
  ): Promise<{ value: T; state: TransactionState }> {
    let state = start;
    let backoff = 0;
    for (;;) {
      const found = pick(state.transaction);
      if (found !== undefined) return { value: found, state };
      const remaining = o.deadline - Date.now();
      if (remaining <= 0) {
        throw new ProtocolError('timeout', 'no answer in time', { phase: 'deadline' });
      }
      if (backoff) await new Promise((r) => setTimeout(r, Math.min(backoff, remaining)));
      const max = o.pollSeconds ?? MAX_REQUEST_TIMEOUT_S;
      const seconds = Math.max(1, Math.min(max, Math.ceil(remaining / 1000)));
      const asked = Date.now();
      const reply = await this.get(state.url, {
        headers: {
          ...o.headers,
          ...(state.etag && { 'if-none-match': state.etag }),
          'request-timeout': String(seconds),
        },
        // the server holds the request up to `seconds`; past the deadline we stop listening
        timeoutMs: Math.max(1, Math.min(remaining, seconds * 1000 + 2_000)),
        signal: o.signal,
      });
      if (reply.status !== 200 && reply.status !== 304) {
        throw new ProtocolError('status', `poll: HTTP ${reply.status}`, { reply });
      }
      const previous = state.etag;
      if (reply.status === 200) {
        state = {
          url: state.url,
          etag: reply.header('etag') ?? state.etag,
          transaction: transactionOf(reply),
        };
      }
      const quick = Date.now() - asked < 50 && (reply.status === 304 || state.etag === previous);
      backoff = quick ? Math.min(500, backoff * 2 || 25) : 0;
    }
  }
}
