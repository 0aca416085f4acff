import type { Readable } from 'node:stream';
import {
  type ErrorBody,
  type EsmtpParam,
  HttpClient,
  type Mailbox,
  ProtocolClient,
  ProtocolError,
  type Reply,
  replyText,
  type SmtpResponse,
  smtpResponseSchema,
  transactionOf,
} from '@koukan/protocol';
import { z } from 'zod';

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

export type { EsmtpParam, Mailbox };
export type SmtpReply = SmtpResponse;
/**
 * A router transaction as the gateway reads it: the fields it uses, validated, the rest
 * dropped. The protocol's full reply schema keeps every unknown field; on the SMTP path (a
 * create and a body upload per message) that copy was most of zod's share of the gateway's CPU.
 */
const routerTransactionSchema = z.object({
  id: z.string(),
  mail_response: smtpResponseSchema.nullable().optional(),
  rcpt_response: z.array(smtpResponseSchema.nullable()).optional(),
  data_response: smtpResponseSchema.nullable().optional(),
});
export type RouterTransaction = z.infer<typeof routerTransactionSchema>;

/** The transaction of a 2xx reply (a body upload's wrapped one too); ProtocolError otherwise. */
export function routerTransactionOf(reply: Reply): RouterTransaction {
  return transactionOf(reply, routerTransactionSchema);
}
export { replyText };
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

export class RouterClient {
  private readonly client: ProtocolClient;

  constructor(options: RouterClientOptions) {
    const timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.client = new ProtocolClient({
      baseUrl: options.baseUrl,
      http: new HttpClient({ headersTimeoutMs: timeoutMs, bodyTimeoutMs: timeoutMs }),
    });
  }

  /**
   * The MSA's AUTH check: `undefined` when `apiKey` is not a key of `sender` (401/403/404), else
   * how the sender takes SMTP submission. Nothing is created.
   */
  async submissionCheck(sender: string, apiKey: string): Promise<SubmissionCheck | undefined> {
    const path = `/v1/senders/${encodeURIComponent(sender)}/smtp-submission`;
    const res = await this.call('GET', '/v1/senders', () => this.client.get(path, auth(apiKey)));
    if (res.status === 401 || res.status === 403 || res.status === 404) return undefined;
    if (!res.ok) throw statusError(res.status, 'submission check');
    return res.json<SubmissionCheck>();
  }

  async create(
    sender: string,
    apiKey: string,
    envelope: { mail_from: Mailbox; rcpt_to: Mailbox[]; session?: Record<string, unknown> },
  ): Promise<TransactionHandle> {
    const res = await this.call('POST', '/v1/senders', () =>
      this.client.create(sender, envelope, auth(apiKey)),
    );
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
      const json = { add_rcpt_to: rcpts, heartbeat: true };
      const res = await this.call('PATCH', '/v1/transactions', () =>
        this.client.patch(this.client.transactionUrl(handle.id), handle.etag, json, auth(apiKey)),
      );
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
    body: Readable | Buffer,
    signal: AbortSignal,
    /** Ask the router to answer once the DATA reply is known, up to this long (Prefer: wait). */
    waitSeconds = 0,
  ): Promise<TransactionHandle | undefined> {
    const res = await this.call('PUT', '/v1/transactions', () =>
      this.client.putBody(this.client.transactionUrl(id), body, {
        headers: {
          ...auth(apiKey).headers,
          ...(waitSeconds > 0 && { prefer: `wait=${waitSeconds}` }),
        },
        signal,
        // a slow client may take its time over DATA; the listener's DATA timeout bounds it
        timeoutMs: 24 * 3600_000,
      }),
    );
    if (!res.ok) throw statusError(res.status, 'body upload');
    try {
      const json = routerTransactionOf(res);
      const etag = res.header('etag');
      return json.id === id && etag ? { id, etag, json } : undefined;
    } catch {
      return undefined;
    }
  }

  async get(id: string, apiKey: string): Promise<TransactionHandle> {
    const res = await this.call('GET', '/v1/transactions', () =>
      this.client.get(this.client.transactionUrl(id), auth(apiKey)),
    );
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
    // mostly the answer that left the handle (the create's, the upload's) has it already
    const known = pick(handle.json);
    if (known !== undefined) return { value: known, handle };
    const start = {
      url: this.client.transactionUrl(handle.id),
      etag: handle.etag,
      transaction: handle.json,
    };
    const { value, state } = await this.call('GET', '/v1/transactions', () =>
      this.client.waitFor(start, pick, { deadline, signal, ...auth(apiKey) }),
    );
    return { value, handle: { id: handle.id, etag: state.etag ?? '', json: state.transaction } };
  }

  /** Best effort: a failure is reported, never thrown. */
  async cancel(id: string, apiKey: string): Promise<boolean> {
    try {
      const res = await this.client.cancel(this.client.transactionUrl(id), auth(apiKey));
      return res.ok;
    } catch {
      return false;
    }
  }

  /** A call's transport failure as a RouterError. */
  private async call<T>(method: string, what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      if (err.kind === 'status' && err.reply) throw failure(err.reply, 'status');
      if (err.phase === 'deadline')
        throw new RouterError('timeout', 'router did not answer in time');
      const kind = err.kind === 'timeout' ? 'timeout' : 'unavailable';
      throw new RouterError(kind, `router ${method} ${what}: ${err.message}`);
    }
  }
}

const auth = (apiKey: string) => ({ headers: { authorization: `Bearer ${apiKey}` } });

function handleOf(res: Reply): TransactionHandle {
  const json = routerTransactionOf(res);
  return { id: json.id, etag: res.header('etag') ?? '', json };
}

function statusError(status: number, what: string): RouterError {
  if (status === 401 || status === 403)
    return new RouterError('denied', `${what}: ${status}`, status);
  if (status >= 500 || status === 429 || status === 408)
    return new RouterError('unavailable', `${what}: ${status}`, status);
  return new RouterError('rejected', `${what}: ${status}`, status);
}

function failure(res: Reply, what: string): RouterError {
  const err = statusError(res.status, what);
  try {
    const body = res.json<Partial<ErrorBody>>();
    if (body.error?.message) {
      err.detail = body.error.message;
      err.message += ` (${body.error.message})`;
    }
    const details = body.error?.details ?? [];
    err.fields = details.map((d) => d.field ?? '').filter(Boolean);
    // "no recipient accepted": the router's replies, one per recipient
    const first = body.error?.rcpt_response?.find((r) => r && r.code >= 400);
    if (res.status === 422 && first) err.reply = first;
  } catch {
    // not JSON: the status says enough
  }
  return err;
}
