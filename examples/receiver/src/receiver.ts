import { randomUUID, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { type ParsedMessage, parseMessage } from './parse.ts';

/**
 * The receiving side of Koukan's transaction protocol, the one the router's `rest_output`
 * filter speaks (the same API the gateway serves for outbound mail):
 *
 *   POST /v1/senders/{sender}/transactions  {mail_from, rcpt_to, body?: {inline}}  → 201
 *   PUT  /v1/transactions/{id}/body          the RFC 822 message                   → 200
 *   GET  /v1/transactions/{id}               long-poll: If-None-Match + Request-Timeout → 200 | 304
 *   POST /v1/transactions/{id}/cancel                                               → 200 | 409
 *
 * Every answer is the transaction's JSON: `mail_response`, `rcpt_response[]` and, once the
 * message has been handled, `data_response` (SMTP-style `{code, message}`): 250 when
 * `onMessage` returned, 451 (try again later) when it threw.
 */

export interface SmtpReply {
  code: number;
  message: string;
}

export interface Mailbox {
  m: string;
  e?: { k: string; p?: string }[];
}

export interface InboundMessage {
  /** this receiver's transaction id */
  id: string;
  /** the sender name in the URL (the router's chain says which: `inbound` by default) */
  sender: string;
  mail_from: string;
  rcpt_to: string[];
  received_at: string;
  size: number;
  message: ParsedMessage;
  /** the message as received */
  raw: Buffer;
}

export interface ReceiverOptions {
  /** Called once per message; throw to have the router try again later (451). */
  onMessage: (message: InboundMessage) => void | Promise<void>;
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** Largest message accepted (413 beyond). Default 50 MiB. */
  maxBodyBytes?: number;
  /** How long a finished transaction can still be polled. Default 10 minutes. */
  keepMs?: number;
}

interface Transaction {
  id: string;
  sender: string;
  mail_from: Mailbox;
  rcpt_to: Mailbox[];
  status: 'waiting_body' | 'done' | 'cancelled';
  version: number;
  data_response: SmtpReply | null;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

const OK: SmtpReply = { code: 250, message: '2.0.0 ok' };

function view(t: Transaction) {
  return {
    id: t.id,
    status: t.status,
    mail_response: OK,
    rcpt_response: t.rcpt_to.map(() => OK),
    data_response: t.data_response,
  };
}

function isMailbox(v: unknown): v is Mailbox {
  return typeof v === 'object' && v !== null && typeof (v as Mailbox).m === 'string';
}

/** Validates the create request; a bad one is a 400 naming the field. */
function parseCreate(json: unknown): { mail_from: Mailbox; rcpt_to: Mailbox[]; inline?: string } {
  const o = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  if (!isMailbox(o.mail_from)) throw new HttpError(400, 'invalid', 'required', 'mail_from.m');
  if (!Array.isArray(o.rcpt_to) || o.rcpt_to.length === 0 || !o.rcpt_to.every(isMailbox)) {
    throw new HttpError(400, 'invalid', 'one or more {"m": address}', 'rcpt_to');
  }
  const body = o.body as { inline?: unknown } | undefined;
  if (body !== undefined && typeof body?.inline !== 'string') {
    throw new HttpError(400, 'invalid', 'only {"inline": string} is supported', 'body');
  }
  return { mail_from: o.mail_from, rcpt_to: o.rcpt_to, inline: body?.inline as string };
}

async function readBody(req: http.IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) throw new HttpError(413, 'too_large', `larger than ${max} bytes`, 'body');
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw new HttpError(413, 'too_large', `larger than ${max} bytes`, 'body');
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts, size);
}

function decode(segment: string, field: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'invalid', 'malformed URL escape', field);
  }
}

function authorized(header: string | undefined, token: string): boolean {
  const presented = Buffer.from(header ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

export function createReceiver(options: ReceiverOptions): http.Server {
  const max = options.maxBodyBytes ?? 50 * 1024 * 1024;
  const keepMs = options.keepMs ?? 10 * 60_000;
  const transactions = new Map<string, Transaction>();
  const changes = new EventEmitter().setMaxListeners(0);

  /** Ends `t` (done with the DATA reply `data`, or cancelled); it can be polled a while yet. */
  const finish = (t: Transaction, data: SmtpReply | null) => {
    t.status = data ? 'done' : 'cancelled';
    t.data_response = data;
    t.version++;
    changes.emit(t.id);
    setTimeout(() => transactions.delete(t.id), keepMs).unref();
  };

  /** Hands the message to onMessage; its outcome is the DATA reply. */
  const deliver = async (t: Transaction, raw: Buffer) => {
    try {
      const message = await parseMessage(raw);
      await options.onMessage({
        id: t.id,
        sender: t.sender,
        mail_from: t.mail_from.m,
        rcpt_to: t.rcpt_to.map((r) => r.m),
        received_at: new Date().toISOString(),
        size: raw.length,
        message,
        raw,
      });
      finish(t, { code: 250, message: '2.0.0 message received' });
    } catch {
      finish(t, { code: 451, message: '4.3.0 the receiving application failed; try later' });
    }
  };

  const send = (res: http.ServerResponse, status: number, t: Transaction, extra = {}) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      etag: `"${t.version}"`,
      ...extra,
    });
    res.end(JSON.stringify(view(t)));
  };

  const find = (id: string) => {
    const t = transactions.get(decode(id, 'id'));
    if (!t) throw new HttpError(404, 'not_found', 'no such transaction', 'id');
    return t;
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{"status":"ok"}');
    }
    if (options.token && !authorized(req.headers.authorization, options.token)) {
      throw new HttpError(401, 'unauthorized', 'a valid bearer token is required');
    }
    const path = new URL(req.url ?? '/', 'http://receiver').pathname;
    const route = (method: string, pattern: RegExp) =>
      req.method === method ? pattern.exec(path)?.[1] : undefined;
    const sender = route('POST', /^\/v1\/senders\/([^/]+)\/transactions$/);
    const putBody = route('PUT', /^\/v1\/transactions\/([^/]+)\/body$/);
    const cancel = route('POST', /^\/v1\/transactions\/([^/]+)\/cancel$/);
    const get = route('GET', /^\/v1\/transactions\/([^/]+)$/);
    if (sender) {
      let json: unknown;
      try {
        json = JSON.parse((await readBody(req, max + 1024 * 1024)).toString('utf8'));
      } catch (err) {
        if (err instanceof HttpError) throw err;
        throw new HttpError(400, 'invalid', 'not JSON', 'body');
      }
      const input = parseCreate(json);
      const t: Transaction = {
        id: randomUUID(),
        sender: decode(sender, 'sender'),
        mail_from: input.mail_from,
        rcpt_to: input.rcpt_to,
        status: 'waiting_body',
        version: 1,
        data_response: null,
      };
      transactions.set(t.id, t);
      // A body that never comes: the transaction is dropped all the same.
      setTimeout(() => {
        if (t.status === 'waiting_body') transactions.delete(t.id);
      }, keepMs).unref();
      // An inline body is handled before the answer: the 201 is already final.
      if (input.inline !== undefined) await deliver(t, Buffer.from(input.inline, 'utf8'));
      return send(res, 201, t, { location: `/v1/transactions/${t.id}` });
    }
    if (putBody) {
      const t = find(putBody);
      if (t.status !== 'waiting_body') throw new HttpError(409, 'conflict', `is ${t.status}`);
      const raw = await readBody(req, max);
      if (raw.length === 0) throw new HttpError(400, 'invalid', 'empty message', 'body');
      if (t.status !== 'waiting_body') throw new HttpError(409, 'conflict', `is ${t.status}`);
      await deliver(t, raw);
      return send(res, 200, t);
    }
    if (cancel) {
      const t = find(cancel);
      if (t.status === 'done') throw new HttpError(409, 'conflict', 'already done');
      if (t.status === 'waiting_body') finish(t, null);
      return send(res, 200, t);
    }
    if (get) {
      const t = find(get);
      const seconds = Math.min(30, Math.max(0, Number(req.headers['request-timeout']) || 0));
      if (req.headers['if-none-match'] === `"${t.version}"`) {
        // Long-poll: answer on the next change, or 304 when the wait is over (at once without
        // Request-Timeout).
        const changed =
          seconds > 0 &&
          (await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => done(false), seconds * 1000);
            const onChange = () => done(true);
            const done = (v: boolean) => {
              clearTimeout(timer);
              changes.off(t.id, onChange);
              res.off('close', onClose);
              resolve(v);
            };
            // the client went away before anything changed
            const onClose = () => done(false);
            changes.on(t.id, onChange);
            res.on('close', onClose);
          }));
        if (!changed) {
          res.writeHead(304, { etag: `"${t.version}"` });
          return res.end();
        }
      }
      return send(res, 200, t);
    }
    throw new HttpError(404, 'not_found', `no route ${req.method} ${path}`);
  };

  return http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const e = err instanceof HttpError ? err : new HttpError(500, 'internal', 'unexpected error');
      if (res.headersSent) return res.destroy();
      res.writeHead(e.status, { 'content-type': 'application/json', connection: 'close' });
      res.end(
        JSON.stringify({
          error: {
            code: e.code,
            message: e.message,
            details: e.field ? [{ field: e.field, message: e.message }] : [],
          },
        }),
      );
    });
  });
}
