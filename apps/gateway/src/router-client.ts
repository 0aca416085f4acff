import type { Readable } from 'node:stream';
import { HttpError, type HttpResponse, httpRequest } from './http-client.ts';

/**
 * The gateway's only door to the router (DESIGN.md §6, apps/router on main). Every call the
 * gateway makes is here:
 *
 *   GET   /v1/senders/{sender}/smtp-submission  Bearer <key> → 401/403 wrong key, 200 {mode}:
 *         the MSA AUTH check; nothing is created
 *   POST  /v1/senders/{sender}/transactions  Bearer <key>  {mail_from, rcpt_to: [first], session?}
 *         → 201 + ETag; 422 with each refusal in details when no recipient is accepted
 *   PATCH /v1/transactions/{id}    If-Match  {add_rcpt_to: [new], heartbeat: true} → 200 + ETag,
 *         412 stale (GET, retry once)
 *   PUT   /v1/transactions/{id}/body  raw RFC 822, chunked, no Content-Range → 2xx
 *         {upload, transaction} + ETag (the DATA reply's wait starts from that version)
 *   GET   /v1/transactions/{id}    If-None-Match + Request-Timeout (≤ 30 s) → 200 | 304
 *   POST  /v1/transactions/{id}/cancel → 2xx (best effort)
 */

export interface EsmtpParam {
  k: string;
  p?: string;
}
export interface Mailbox {
  m: string;
  e?: EsmtpParam[];
}
export interface SmtpReply {
  code: number;
  message: string;
}
export interface RouterTransaction {
  id: string;
  status?: string;
  mail_response?: SmtpReply | null;
  rcpt_response?: (SmtpReply | null)[];
  data_response?: SmtpReply | null;
  attempt_count?: number;
  final_attempt_reason?: string | null;
}
/** Where an inbound message came from, as logged (the router gets `routerSession`'s shape). */
export interface SmtpSession {
  listener: string;
  remote_ip: string;
  remote_port: number;
  helo: string;
  protocol: string;
  tls: { protocol?: string; cipher?: string } | null;
  auth_user?: string;
}

/** A router transaction as the gateway tracks it: its id, the last ETag seen and the last JSON. */
export interface TransactionHandle {
  id: string;
  etag: string;
  json: RouterTransaction;
}

export type RouterErrorKind = 'denied' | 'rejected' | 'unavailable' | 'timeout';

export class RouterError extends Error {
  /** A 422 create whose recipients were all refused: the first refusal (nothing was stored). */
  reply?: SmtpReply;
  /** The fields the router's error names (`error.details[].field`). */
  fields: string[] = [];
  /** The router's error message, when it sent one. */
  detail?: string;

  constructor(
    readonly kind: RouterErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RouterError';
  }
}

/** How a sender takes SMTP submission (`GET /v1/senders/{sender}/smtp-submission`). */
export interface SubmissionCheck {
  mode: 'exploder' | 'chain' | 'refused';
  reason?: string;
}

export interface RouterClientOptions {
  baseUrl: string;
  /** Upper bound of one plain request (the long-poll has its own). */
  requestTimeoutMs?: number;
}

const MAX_POLL_SECONDS = 30;

export class RouterClient {
  private readonly base: string;
  private readonly requestTimeoutMs: number;

  constructor(options: RouterClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  /**
   * The MSA's AUTH check: `undefined` when `apiKey` is not a key of `sender` (401/403/404), else
   * how the sender takes SMTP submission. Nothing is created.
   */
  async submissionCheck(sender: string, apiKey: string): Promise<SubmissionCheck | undefined> {
    const path = `/v1/senders/${encodeURIComponent(sender)}/smtp-submission`;
    const res = await this.call('GET', path, apiKey);
    if (res.status === 401 || res.status === 403 || res.status === 404) return undefined;
    if (!res.ok) throw statusError(res.status, 'submission check');
    return res.json<SubmissionCheck>();
  }

  async create(
    sender: string,
    apiKey: string,
    envelope: { mail_from: Mailbox; rcpt_to: Mailbox[]; session?: Record<string, unknown> },
  ): Promise<TransactionHandle> {
    const path = `/v1/senders/${encodeURIComponent(sender)}/transactions`;
    const res = await this.call('POST', path, apiKey, { json: envelope });
    if (res.status !== 201 && res.status !== 200) throw failure(res, 'create');
    return handleOf(res);
  }

  /** Adds recipients; a stale ETag (412) is refreshed once and the PATCH retried. */
  async addRecipients(
    handle: TransactionHandle,
    apiKey: string,
    rcpts: Mailbox[],
  ): Promise<TransactionHandle> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.call('PATCH', `/v1/transactions/${handle.id}`, apiKey, {
        json: { add_rcpt_to: rcpts, heartbeat: true },
        headers: { 'if-match': handle.etag },
      });
      if (res.status === 412 && attempt === 0) {
        handle = await this.get(handle.id, apiKey);
        continue;
      }
      if (!res.ok) throw failure(res, 'add recipients');
      return handleOf(res);
    }
  }

  /**
   * Streams the body; resolves once the router has it all, with the transaction as the upload
   * left it (its ETag), when the router's answer carries it — so the wait for the DATA reply
   * starts from there instead of re-reading it. `signal` aborts the upload.
   */
  async putBody(
    id: string,
    apiKey: string,
    body: Readable,
    signal: AbortSignal,
    /** Ask the router to answer once the DATA reply is known, up to this long (Prefer: wait). */
    waitSeconds = 0,
  ): Promise<TransactionHandle | undefined> {
    const res = await this.call('PUT', `/v1/transactions/${id}/body`, apiKey, {
      body,
      headers: {
        'content-type': 'message/rfc822',
        ...(waitSeconds > 0 && { prefer: `wait=${waitSeconds}` }),
      },
      signal,
      // a slow client may take its time over DATA; the listener's DATA timeout bounds it
      timeoutMs: 24 * 3600_000,
    });
    if (!res.ok) throw statusError(res.status, 'body upload');
    try {
      const json = res.json<{ transaction?: RouterTransaction }>().transaction;
      const etag = res.header('etag');
      return json?.id === id && etag ? { id, etag, json } : undefined;
    } catch {
      return undefined;
    }
  }

  async get(id: string, apiKey: string): Promise<TransactionHandle> {
    const res = await this.call('GET', `/v1/transactions/${id}`, apiKey);
    if (!res.ok) throw failure(res, 'get');
    return handleOf(res);
  }

  /**
   * Long-polls until `pick` finds what it wants in the transaction JSON, or `deadline` (epoch ms)
   * passes (→ RouterError 'timeout').
   */
  async waitFor<T>(
    handle: TransactionHandle,
    apiKey: string,
    pick: (t: RouterTransaction) => T | undefined,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<{ value: T; handle: TransactionHandle }> {
    let current = handle;
    let backoff = 0;
    for (;;) {
      const found = pick(current.json);
      if (found !== undefined) return { value: found, handle: current };
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new RouterError('timeout', 'router did not answer in time');
      if (backoff) await new Promise((r) => setTimeout(r, Math.min(backoff, remaining)));
      const seconds = Math.max(1, Math.min(MAX_POLL_SECONDS, Math.ceil(remaining / 1000)));
      const asked = Date.now();
      const res = await this.call('GET', `/v1/transactions/${current.id}`, apiKey, {
        headers: { 'if-none-match': current.etag, 'request-timeout': String(seconds) },
        // the router holds the request up to `seconds`; past our own deadline we stop listening
        timeoutMs: remaining < seconds * 1000 ? remaining : seconds * 1000 + 2_000,
        signal,
      });
      if (!res.ok && res.status !== 304) throw failure(res, 'status');
      const previous = current.etag;
      if (res.status === 200) current = handleOf(res);
      // a router that answers at once without a change (no long-poll) is not polled in a hot loop
      const quick = Date.now() - asked < 50 && (res.status === 304 || current.etag === previous);
      backoff = quick ? Math.min(500, backoff * 2 || 25) : 0;
    }
  }

  /** Best effort: a failure is reported, never thrown. */
  async cancel(id: string, apiKey: string): Promise<boolean> {
    try {
      const res = await this.call('POST', `/v1/transactions/${id}/cancel`, apiKey);
      return res.ok;
    } catch {
      return false;
    }
  }

  private async call(
    method: string,
    path: string,
    apiKey: string,
    options: {
      json?: unknown;
      body?: Readable;
      headers?: Record<string, string>;
      timeoutMs?: number;
      signal?: AbortSignal;
    } = {},
  ): Promise<HttpResponse> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${apiKey}`,
      accept: 'application/json',
      ...options.headers,
    };
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    try {
      return await httpRequest(`${this.base}${path}`, {
        method,
        headers,
        body: options.json === undefined ? options.body : JSON.stringify(options.json),
        timeoutMs: options.timeoutMs ?? this.requestTimeoutMs,
        signal: options.signal,
      });
    } catch (err) {
      const kind = err instanceof HttpError && err.kind === 'timeout' ? 'timeout' : 'unavailable';
      const what = `router ${method} ${path.split('/').slice(0, 3).join('/')}`;
      throw new RouterError(kind, `${what}: ${err instanceof Error ? err.message : 'failed'}`);
    }
  }
}

function handleOf(res: HttpResponse): TransactionHandle {
  const json = res.json<RouterTransaction>();
  return { id: json.id, etag: res.header('etag') ?? '', json };
}

function statusError(status: number, what: string): RouterError {
  if (status === 401 || status === 403)
    return new RouterError('denied', `${what}: ${status}`, status);
  if (status >= 500 || status === 429 || status === 408)
    return new RouterError('unavailable', `${what}: ${status}`, status);
  return new RouterError('rejected', `${what}: ${status}`, status);
}

const REPLY = /^([245]\d\d) (.+)$/s;

function failure(res: HttpResponse, what: string): RouterError {
  const err = statusError(res.status, what);
  try {
    const body = res.json<{
      error?: { message?: string; details?: { field?: string; message?: string }[] };
    }>();
    if (body.error?.message) {
      err.detail = body.error.message;
      err.message += ` (${body.error.message})`;
    }
    const details = body.error?.details ?? [];
    err.fields = details.map((d) => d.field ?? '').filter(Boolean);
    // "no recipient accepted": details carry each refusal as "<code> <text>"
    const first = details.find((d) => d.field?.startsWith('body.rcpt_to'));
    const m = first?.message ? REPLY.exec(first.message) : null;
    if (res.status === 422 && m) err.reply = { code: Number(m[1]), message: m[2]! };
  } catch {
    // not JSON: the status says enough
  }
  return err;
}
