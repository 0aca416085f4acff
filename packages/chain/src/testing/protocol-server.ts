// A real HTTP server speaking the transaction protocol (DESIGN.md §6), for tests.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BadInput,
  type ErrorDetail,
  issuesToDetails,
  mailboxSchema,
  requestTimeoutOf,
} from '@koukan/protocol';
import { z } from 'zod';
import type { Mailbox, SmtpResponse } from '../types.ts';

type Remote = {
  id: string;
  version: number;
  status: string;
  mail_from: Mailbox;
  rcpt_to: Mailbox[];
  attempt_count: number;
  final_attempt_reason: null;
  mail_response: SmtpResponse | null;
  rcpt_response: (SmtpResponse | null)[];
  data_response: SmtpResponse | null;
};

export type Behaviour = {
  mail?: SmtpResponse;
  rcpt?: SmtpResponse[];
  /** answered after the body arrived, after this many ms; undefined = never */
  dataAfterMs?: number;
  data?: SmtpResponse;
  createStatus?: number;
  /** keep received bodies in memory (small test messages only) */
  keepBodies?: boolean;
  /** refuse requests without `Authorization: Bearer <apiKey>` */
  apiKey?: string;
};

const createSchema = z.looseObject({
  mail_from: mailboxSchema,
  rcpt_to: z.array(mailboxSchema).min(1),
  body: z.object({ inline: z.string() }).optional(),
});

/** The protocol's error body. */
const fail = (
  res: http.ServerResponse,
  status: number,
  code: string,
  message: string,
  details: ErrorDetail[] = [],
) =>
  res
    .writeHead(status, { 'content-type': 'application/json' })
    .end(JSON.stringify({ error: { code, message, details } }));

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new BadInput('the body is not valid JSON', [{ field: 'body', message: 'not JSON' }]);
  }
}

/** A real HTTP server speaking the transaction protocol (DESIGN.md §6), on port 0. */
export async function protocolServer(b: Behaviour) {
  const txs = new Map<string, Remote>();
  const log: {
    method: string;
    url: string;
    auth?: string;
    json?: unknown;
    bodyHash?: string;
    bodySize?: number;
    /** the body came inline in the create request */
    inline?: boolean;
  }[] = [];
  const waiters = new Set<() => void>();
  const idempotency = new Map<string, { digest: string; id: string }>();
  const bodies: Buffer[] = [];
  const bump = (t: Remote) => {
    t.version++;
    for (const w of waiters) w();
  };
  const send = (res: http.ServerResponse, status: number, t: Remote) => {
    const { version, ...json } = t;
    const etag = `"${version}"`;
    if (status === 304) return res.writeHead(status, { etag }).end();
    res.writeHead(status, { 'content-type': 'application/json', etag }).end(JSON.stringify(json));
  };
  /** The body arrived (PUT or inline in the create): DATA is answered as `b` says. */
  const received = (t: Remote, entry: (typeof log)[number], body: Buffer) => {
    if (b.keepBodies) bodies.push(body);
    entry.bodyHash = createHash('sha256').update(body).digest('hex');
    entry.bodySize = body.length;
    if (b.dataAfterMs !== undefined) {
      setTimeout(() => {
        t.data_response = b.data ?? { code: 250, message: 'delivered' };
        t.status = 'delivered';
        bump(t);
      }, b.dataAfterMs);
    }
  };
  const server = http.createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (!(err instanceof BadInput)) throw err;
      fail(res, 400, 'bad_request', err.message, err.details);
    });
  });
  const route = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const entry: (typeof log)[number] = {
      method: req.method!,
      url: req.url!,
      ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
    };
    log.push(entry);
    if (b.apiKey && req.headers.authorization !== `Bearer ${b.apiKey}`) {
      return fail(res, 401, 'unauthorized', 'a valid API key is required');
    }
    let m = /^\/v1\/senders\/([^/]+)\/transactions$/.exec(req.url!);
    if (req.method === 'POST' && m) {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const raw = Buffer.concat(chunks).toString();
      const parsed = createSchema.safeParse(parseJson(raw));
      if (!parsed.success) {
        const details = issuesToDetails(parsed.error.issues, 'body');
        return fail(res, 400, 'bad_request', 'invalid transaction', details);
      }
      const json = parsed.data;
      const { body, ...envelope } = json;
      entry.json = envelope;
      if (b.createStatus) return fail(res, b.createStatus, 'unavailable', 'scripted');
      const key = req.headers['idempotency-key'];
      const digest = createHash('sha256').update(raw).digest('hex');
      const earlier = typeof key === 'string' ? idempotency.get(key) : undefined;
      if (earlier && earlier.digest !== digest) {
        return fail(res, 422, 'unprocessable', 'Idempotency-Key reused', [
          { field: 'headers.idempotency-key', message: 'reused with another body' },
        ]);
      }
      if (earlier) return send(res, 200, txs.get(earlier.id)!);
      const t: Remote = {
        id: `up-${txs.size + 1}`,
        version: 1,
        status: 'inflight',
        mail_from: json.mail_from,
        rcpt_to: json.rcpt_to,
        attempt_count: 0,
        final_attempt_reason: null,
        mail_response: b.mail ?? { code: 250, message: 'ok' },
        rcpt_response: (b.rcpt ?? json.rcpt_to.map(() => ({ code: 250, message: 'ok' }))).map(
          (r) => r,
        ),
        data_response: null,
      };
      txs.set(t.id, t);
      if (typeof key === 'string') idempotency.set(key, { digest, id: t.id });
      if (body) {
        entry.inline = true;
        received(t, entry, Buffer.from(body.inline, 'utf8'));
      }
      res.setHeader('location', `/v1/transactions/${t.id}`);
      return send(res, 201, t);
    }
    m = /^\/v1\/transactions\/([^/]+)(\/body|\/cancel)?$/.exec(req.url!);
    const t = m && txs.get(m[1]!);
    if (!t) return fail(res, 404, 'not_found', 'no such transaction');
    if (req.method === 'POST' && m![2] === '/cancel') {
      t.status = 'cancelled';
      bump(t);
      return send(res, 200, t);
    }
    if (req.method === 'PUT' && m![2] === '/body') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      received(t, entry, Buffer.concat(chunks));
      return send(res, 200, t);
    }
    if (req.method === 'GET') {
      const wait = requestTimeoutOf(req.headers['request-timeout'] as string | undefined) * 1000;
      if (req.headers['if-none-match'] === `"${t.version}"`) {
        const changed = await new Promise<boolean>((resolve) => {
          const w = () => resolve(true);
          waiters.add(w);
          setTimeout(() => {
            waiters.delete(w);
            resolve(false);
          }, wait);
        });
        if (!changed) return send(res, 304, t);
      }
      return send(res, 200, t);
    }
    fail(res, 405, 'bad_request', 'method not allowed');
  };
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  servers.push(server);
  /** the raw bodies received, when `keepBodies` is set */
  return { url, log, server, bodies };
}

const servers: http.Server[] = [];

/** Track a server for `closeServers()` (call it from afterEach). */
export const trackServer = (s: http.Server) => servers.push(s);

export function closeServers() {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
}
