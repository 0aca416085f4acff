import { createHash } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import { finished } from 'node:stream/promises';
import { z } from 'zod';
import { BadInput, requestTimeoutOf } from '../headers.ts';
import { issuesToDetails, type Mailbox, mailboxSchema, type SmtpResponse } from '../schemas.ts';

/**
 * The one scripted stand-in for an implementation of the transaction protocol (DESIGN.md §6):
 * the router for the gateway's tests, the next hop for `rest_output`'s. A real node:http server
 * on port 0 that passes the protocol's contract (apps/cli/src/protocol-contract.test.ts). Each
 * test says what it answers through `policy`.
 */

const createSchema = z.looseObject({
  mail_from: mailboxSchema,
  rcpt_to: z.array(mailboxSchema).optional(),
  body: z.object({ inline: z.string() }).optional(),
});

export interface FakeTxn {
  id: string;
  sender: string;
  session: unknown;
  mail_from: Mailbox;
  rcpt_to: Mailbox[];
  mail_response: SmtpResponse | null;
  rcpt_response: (SmtpResponse | null)[];
  data_response: SmtpResponse | null;
  /** What arrived of the body (PUT or inline in the create). */
  body: Buffer[];
  bodyComplete: boolean;
  bodyAborted: boolean;
  cancelled: boolean;
  heartbeats: number;
  version: number;
}

/** What the fake answers; `undefined` = never (to test timeouts). */
export interface FakePolicy {
  mail: (txn: FakeTxn) => SmtpResponse;
  rcpt: (m: Mailbox, txn: FakeTxn) => SmtpResponse | undefined;
  data: (txn: FakeTxn) => SmtpResponse | undefined;
  /** Delay before an RCPT or DATA answer appears, ms. */
  delayMs: number;
  /** Status for every create (e.g. 503) instead of 201. */
  createStatus?: number;
  /** Recipients per transaction; a PATCH past it gets 422, as the router does for a sender
   * whose chain does not start with the exploder. */
  maxRecipients?: number;
}

export const acceptAll: FakePolicy = {
  mail: () => ({ code: 250, message: '2.1.0 OK' }),
  rcpt: () => ({ code: 250, message: '2.1.5 OK' }),
  data: (t) => ({ code: 250, message: `2.0.0 OK queued as ${t.id}` }),
  delayMs: 0,
};

export interface FakeRequest {
  method: string;
  url: string;
  auth?: string;
  /** The JSON of a create or PATCH. */
  json?: Record<string, unknown>;
  /** How the request body was framed: its Content-Length, or `chunked`. */
  framing?: string;
}

export class FakeServer {
  url = '';
  readonly txns = new Map<string, FakeTxn>();
  readonly log: FakeRequest[] = [];
  policy: FakePolicy;
  /** API key → its sender; while none is added, any key is taken for the sender in the URL. */
  private readonly keys = new Map<string, string>();
  /** Idempotency-Key → the digest of its create and the transaction it made. */
  private readonly idempotency = new Map<string, { digest: string; id: string }>();
  /** How each sender takes SMTP submission (default `exploder`). */
  readonly submission = new Map<
    string,
    { mode: 'exploder' | 'chain' | 'refused'; reason?: string }
  >();
  /** Emits a transaction's id when it changes (wakes its long-polls). */
  private readonly changes = new EventEmitter().setMaxListeners(0);
  private readonly server = createServer((req, res) => {
    this.route(req, res).catch((err: unknown) => {
      if (!(err instanceof BadInput)) throw err;
      send(res, err.httpStatus, err);
    });
  });

  constructor(policy: Partial<FakePolicy> = {}) {
    this.policy = { ...acceptAll, ...policy };
  }

  /** Registers `key` as an API key of `sender`. */
  addKey(sender: string, key: string): this {
    this.keys.set(key, sender);
    return this;
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    running.add(this);
    return this;
  }

  async close(): Promise<void> {
    running.delete(this);
    for (const id of this.txns.keys()) this.changes.emit(id);
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  /** A bare server on port 0 answering every request with `handler` (a client's edge cases). */
  static async serve(handler: RequestListener): Promise<string> {
    const fake = new FakeServer();
    fake.server.removeAllListeners('request').on('request', handler);
    return (await fake.start()).url;
  }

  /** Closes every fake still running (from an afterEach). */
  static closeAll = () => Promise.all([...running].map((f) => f.close()));

  sole(): FakeTxn {
    const all = [...this.txns.values()];
    if (all.length !== 1) throw new Error(`expected one transaction, have ${all.length}`);
    return all[0]!;
  }

  private bump(t: FakeTxn): void {
    t.version++;
    this.changes.emit(t.id);
  }

  private later(t: FakeTxn, reply: SmtpResponse | undefined, apply: (r: SmtpResponse) => void) {
    if (!reply) return;
    const run = () => {
      if (t.cancelled) return;
      apply(reply);
      this.bump(t);
    };
    if (this.policy.delayMs) setTimeout(run, this.policy.delayMs);
    else run();
  }

  private addRcpts(t: FakeTxn, rcpts: Mailbox[]): void {
    for (const m of rcpts) {
      const index = t.rcpt_to.push(m) - 1;
      t.rcpt_response.push(null);
      this.later(t, this.policy.rcpt(m, t), (r) => {
        t.rcpt_response[index] = r;
      });
    }
  }

  private received(t: FakeTxn): void {
    t.bodyComplete = true;
    this.later(t, this.policy.data(t), (r) => {
      t.data_response = r;
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const auth = req.headers.authorization;
    const framing = req.headers['content-length'] ?? req.headers['transfer-encoding'];
    const entry: FakeRequest = {
      method: req.method!,
      url: req.url!,
      ...(auth && { auth }),
      ...(framing && { framing }),
    };
    this.log.push(entry);
    let m = path.match(/^\/v1\/senders\/([^/]+)\/(transactions|smtp-submission)$/);
    const named = m ? decodeURIComponent(m[1]!) : undefined;
    const key = (auth ?? '').replace(/^Bearer /, '');
    if (this.keys.size && !this.keys.has(key))
      throw new BadInput('bad key', [], 401, 'unauthorized');
    const sender = this.keys.get(key) ?? named!;
    // like the router: authentication (onRequest) before the body is validated
    if (named && sender !== named)
      throw new BadInput('not a key of this sender', [], 403, 'forbidden');
    if (m?.[2] === 'smtp-submission' && req.method === 'GET') {
      return send(res, 200, { sender, ...(this.submission.get(sender) ?? { mode: 'exploder' }) });
    }
    if (m && req.method === 'POST') {
      const status = this.policy.createStatus;
      if (status) throw new BadInput('scripted', [], status, 'unavailable');
      const raw = await text(req);
      entry.json = parseJson(raw);
      const parsed = createSchema.safeParse(entry.json);
      if (!parsed.success) {
        throw new BadInput('invalid transaction', issuesToDetails(parsed.error.issues, 'body'));
      }
      const json = parsed.data;
      const once = req.headers['idempotency-key'];
      const digest = createHash('sha256').update(raw).digest('hex');
      const earlier = typeof once === 'string' ? this.idempotency.get(once) : undefined;
      if (earlier && earlier.digest !== digest) {
        const field = 'headers.idempotency-key';
        const details = [{ field, message: 'reused with another body' }];
        throw new BadInput('Idempotency-Key reused', details, 422, 'unprocessable');
      }
      if (earlier) return sendTxn(res, 200, this.txns.get(earlier.id)!);
      const t: FakeTxn = {
        id: `t${this.txns.size + 1}`,
        sender,
        session: json.session,
        mail_from: json.mail_from,
        rcpt_to: [],
        mail_response: null,
        rcpt_response: [],
        data_response: null,
        body: [],
        bodyComplete: false,
        bodyAborted: false,
        cancelled: false,
        heartbeats: 0,
        version: 1,
      };
      t.mail_response = this.policy.mail(t);
      this.txns.set(t.id, t);
      if (typeof once === 'string') this.idempotency.set(once, { digest, id: t.id });
      this.addRcpts(t, json.rcpt_to ?? []);
      if (json.body) {
        t.body.push(Buffer.from(json.body.inline));
        this.received(t);
      }
      res.setHeader('location', `/v1/transactions/${t.id}`);
      return sendTxn(res, 201, t);
    }
    m = path.match(/^\/v1\/transactions\/([^/]+)(\/body|\/cancel)?$/);
    const t = m ? this.txns.get(m[1]!) : undefined;
    if (!m || !t) throw new BadInput('no such transaction', [], 404, 'not_found');
    if (m[2] === '/cancel' && req.method === 'POST') {
      t.cancelled = true;
      this.bump(t);
      return sendTxn(res, 200, t);
    }
    if (m[2] === '/body' && req.method === 'PUT') {
      await finished(req.on('data', (c: Buffer) => t.body.push(c))).catch(() => {});
      t.bodyAborted = !req.complete;
      if (t.bodyAborted) return;
      this.received(t);
      return sendTxn(res, 200, t);
    }
    if (req.method === 'PATCH') {
      if (req.headers['if-match'] !== etag(t)) {
        throw new BadInput('stale If-Match', [], 412, 'precondition_failed');
      }
      const json: { add_rcpt_to?: Mailbox[]; heartbeat?: boolean } = parseJson(await text(req));
      if (json.heartbeat) t.heartbeats++;
      const limit = this.policy.maxRecipients ?? Number.POSITIVE_INFINITY;
      if (t.rcpt_to.length + (json.add_rcpt_to?.length ?? 0) > limit) {
        throw new BadInput('one recipient', [], 422, 'unprocessable');
      }
      this.addRcpts(t, json.add_rcpt_to ?? []);
      t.version++;
      return sendTxn(res, 200, t);
    }
    if (req.method === 'GET') {
      const seconds = requestTimeoutOf(req.headers['request-timeout'] as string | undefined);
      if (req.headers['if-none-match'] === etag(t)) {
        const signal = AbortSignal.timeout(seconds * 1000);
        const changed = await once(this.changes, t.id, { signal }).then(
          () => true,
          () => false,
        );
        if (!changed) return void res.writeHead(304, { etag: etag(t) }).end();
      }
      return sendTxn(res, 200, t);
    }
    throw new BadInput('method not allowed', [], 405);
  }
}

const running = new Set<FakeServer>();

const etag = (t: FakeTxn) => `"v${t.version}"`;

const WIRE = ['id', 'mail_from', 'rcpt_to', 'mail_response', 'rcpt_response', 'data_response'];

function sendTxn(res: ServerResponse, status: number, t: FakeTxn): void {
  res.setHeader('etag', etag(t));
  send(res, status, {
    ...Object.fromEntries(WIRE.map((k) => [k, t[k as keyof FakeTxn]])),
    ...{ status: t.cancelled ? 'cancelled' : 'inflight', attempt_count: 0 },
    final_attempt_reason: null,
  });
}

function parseJson(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text);
  } catch {
    throw new BadInput('the body is not valid JSON', [{ field: 'body', message: 'not JSON' }]);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
