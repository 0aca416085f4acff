import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BadInput,
  type ErrorDetail,
  issuesToDetails,
  mailboxSchema,
  requestTimeoutOf,
} from '@koukan/protocol';
import { z } from 'zod';
import type { Mailbox, SmtpReply } from '../router-client.ts';

/**
 * A scripted stand-in for the router's transaction API (DESIGN.md §6), a real node:http server
 * on port 0 speaking exactly the calls of router-client.ts. It passes the protocol's contract
 * (apps/cli/src/protocol-contract.test.ts). Each test says what it answers.
 */

const createSchema = z.strictObject({
  mail_from: mailboxSchema,
  rcpt_to: z.array(mailboxSchema).optional(),
  body: z.unknown().optional(),
  session: z.unknown().optional(),
});

export interface FakeTxn {
  id: string;
  sender: string;
  mail_from: Mailbox;
  rcpt_to: Mailbox[];
  mail_response: SmtpReply | null;
  rcpt_response: (SmtpReply | null)[];
  data_response: SmtpReply | null;
  body: Buffer[];
  bodyComplete: boolean;
  bodyAborted: boolean;
  cancelled: boolean;
  heartbeats: number;
  version: number;
}

/** What the router answers; `undefined` = never (to test timeouts). */
export interface FakePolicy {
  rcpt: (m: Mailbox, txn: FakeTxn) => SmtpReply | undefined;
  data: (txn: FakeTxn) => SmtpReply | undefined;
  /** Delay before an answer appears, ms. */
  delayMs: number;
  /** Status for every create (e.g. 503) instead of 201. */
  createStatus?: number;
  /** Recipients per transaction; a PATCH past it gets 422, as the router does for a sender
   * whose chain does not start with the exploder. */
  maxRecipients?: number;
}

export const acceptAll: FakePolicy = {
  rcpt: () => ({ code: 250, message: '2.1.5 OK' }),
  data: (t) => ({ code: 250, message: `2.0.0 OK queued as ${t.id}` }),
  delayMs: 0,
};

export class FakeRouter {
  url = '';
  readonly txns = new Map<string, FakeTxn>();
  readonly log: string[] = [];
  policy: FakePolicy = { ...acceptAll };
  private readonly keys = new Map<string, string>();
  /** Idempotency-Key → the digest of its create and the transaction it made. */
  private readonly idempotency = new Map<string, { digest: string; id: string }>();
  /** Sessions sent with each create, in order (the gateway's session facts). */
  readonly sessions: unknown[] = [];
  /** How each sender takes SMTP submission (default `exploder`). */
  readonly submission = new Map<
    string,
    { mode: 'exploder' | 'chain' | 'refused'; reason?: string }
  >();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly server: Server = createServer((req, res) => void this.handle(req, res));
  private seq = 0;

  /** Registers `key` as an API key of `sender`. */
  addKey(sender: string, key: string): this {
    this.keys.set(key, sender);
    return this;
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const set of this.waiters.values()) for (const w of set) w();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  sole(): FakeTxn {
    const all = [...this.txns.values()];
    if (all.length !== 1) throw new Error(`expected one transaction, have ${all.length}`);
    return all[0]!;
  }

  private bump(t: FakeTxn): void {
    t.version++;
    const set = this.waiters.get(t.id);
    this.waiters.delete(t.id);
    for (const w of set ?? []) w();
  }

  private later(t: FakeTxn, apply: () => void): void {
    const run = () => {
      if (t.cancelled) return;
      apply();
      this.bump(t);
    };
    if (this.policy.delayMs) setTimeout(run, this.policy.delayMs);
    else run();
  }

  private addRcpts(t: FakeTxn, rcpts: Mailbox[]): void {
    for (const m of rcpts) {
      const index = t.rcpt_to.push(m) - 1;
      t.rcpt_response.push(null);
      const reply = this.policy.rcpt(m, t);
      if (reply)
        this.later(t, () => {
          t.rcpt_response[index] = reply;
        });
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.route(req, res);
    } catch (err) {
      if (!(err instanceof BadInput)) throw err;
      fail(res, 400, 'bad_request', err.message, err.details);
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    this.log.push(`${req.method} ${path}`);
    const sender = this.keys.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (!sender) return fail(res, 401, 'unauthorized', 'bad key');
    const check = path.match(/^\/v1\/senders\/([^/]+)\/smtp-submission$/);
    if (check && req.method === 'GET') {
      const name = decodeURIComponent(check[1]!);
      if (sender !== name) return fail(res, 403, 'forbidden', 'not a key of this sender');
      return send(res, 200, {
        sender: name,
        ...(this.submission.get(name) ?? { mode: 'exploder' }),
      });
    }
    let m = path.match(/^\/v1\/senders\/([^/]+)\/transactions$/);
    if (m && req.method === 'POST') {
      // like the router: authentication (onRequest) before the body is validated
      if (sender !== decodeURIComponent(m[1]!)) {
        return fail(res, 403, 'forbidden', 'not a key of this sender');
      }
      if (this.policy.createStatus) {
        return fail(res, this.policy.createStatus, 'unavailable', 'scripted');
      }
      const raw = (await readAll(req)).toString();
      const parsed = createSchema.safeParse(parseJson(raw));
      if (!parsed.success) {
        const details = issuesToDetails(parsed.error.issues, 'body');
        return fail(res, 400, 'bad_request', 'invalid transaction', details);
      }
      const json = parsed.data;
      this.sessions.push(json.session);
      const key = req.headers['idempotency-key'];
      const digest = createHash('sha256').update(raw).digest('hex');
      const earlier = typeof key === 'string' ? this.idempotency.get(key) : undefined;
      if (earlier && earlier.digest !== digest) {
        return fail(res, 422, 'unprocessable', 'Idempotency-Key reused', [
          { field: 'headers.idempotency-key', message: 'reused with another body' },
        ]);
      }
      if (earlier) return sendTxn(res, 200, this.txns.get(earlier.id)!);
      const t: FakeTxn = {
        id: `t${++this.seq}`,
        sender,
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
      this.txns.set(t.id, t);
      if (typeof key === 'string') this.idempotency.set(key, { digest, id: t.id });
      this.addRcpts(t, json.rcpt_to ?? []);
      res.setHeader('location', `/v1/transactions/${t.id}`);
      return sendTxn(res, 201, t);
    }
    m = path.match(/^\/v1\/transactions\/([^/]+)(\/body|\/cancel)?$/);
    const t = m ? this.txns.get(m[1]!) : undefined;
    if (!m || !t) return fail(res, 404, 'not_found', 'no such transaction');
    if (m[2] === '/cancel' && req.method === 'POST') {
      t.cancelled = true;
      this.bump(t);
      return sendTxn(res, 200, t);
    }
    if (m[2] === '/body' && req.method === 'PUT') {
      req.on('data', (c: Buffer) => t.body.push(c));
      req.on('aborted', () => {
        t.bodyAborted = true;
      });
      req.on('error', () => {
        t.bodyAborted = true;
      });
      await new Promise<void>((r) => req.on('end', r).on('close', r));
      if (t.bodyAborted || !req.complete) return;
      t.bodyComplete = true;
      const reply = this.policy.data(t);
      if (reply)
        this.later(t, () => {
          t.data_response = reply;
        });
      return sendTxn(res, 200, t);
    }
    if (req.method === 'PATCH') {
      if (req.headers['if-match'] !== etag(t)) {
        return fail(res, 412, 'precondition_failed', 'stale If-Match');
      }
      const json = JSON.parse((await readAll(req)).toString()) as {
        add_rcpt_to?: Mailbox[];
        heartbeat?: boolean;
      };
      if (json.heartbeat) t.heartbeats++;
      const limit = this.policy.maxRecipients ?? Number.POSITIVE_INFINITY;
      if (t.rcpt_to.length + (json.add_rcpt_to?.length ?? 0) > limit) {
        return fail(res, 422, 'unprocessable', 'one recipient');
      }
      this.addRcpts(t, json.add_rcpt_to ?? []);
      t.version++;
      return sendTxn(res, 200, t);
    }
    if (req.method === 'GET') {
      if (req.headers['if-none-match'] === etag(t)) {
        const seconds = requestTimeoutOf((req.headers['request-timeout'] as string) ?? '30');
        const changed = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), seconds * 1000);
          const set = this.waiters.get(t.id) ?? new Set();
          set.add(() => {
            clearTimeout(timer);
            resolve(true);
          });
          this.waiters.set(t.id, set);
        });
        if (!changed) {
          res.writeHead(304, { etag: etag(t) }).end();
          return;
        }
      }
      return sendTxn(res, 200, t);
    }
    fail(res, 405, 'bad_request', 'method not allowed');
  }
}

function etag(t: FakeTxn): string {
  return `"v${t.version}"`;
}

function sendTxn(res: ServerResponse, status: number, t: FakeTxn): void {
  res.setHeader('etag', etag(t));
  send(res, status, {
    id: t.id,
    status: t.cancelled ? 'cancelled' : 'inflight',
    mail_from: t.mail_from,
    rcpt_to: t.rcpt_to,
    mail_response: t.mail_response,
    rcpt_response: t.rcpt_response,
    data_response: t.data_response,
    attempt_count: 0,
    final_attempt_reason: null,
  });
}

function fail(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  details: ErrorDetail[] = [],
): void {
  send(res, status, { error: { code, message, details } });
}

function parseJson(text: string): unknown {
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

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
