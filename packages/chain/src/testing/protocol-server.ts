// A real HTTP server speaking the transaction protocol (DESIGN.md §6), for tests.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SmtpResponse } from '../types.ts';

type Remote = {
  id: string;
  version: number;
  status: string;
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
};

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
  const bodies: Buffer[] = [];
  const bump = (t: Remote) => {
    t.version++;
    for (const w of waiters) w();
  };
  const send = (res: http.ServerResponse, status: number, t?: Remote) => {
    if (!t) return res.writeHead(status).end();
    const { version, ...json } = t;
    res
      .writeHead(status, { 'content-type': 'application/json', etag: `"${version}"` })
      .end(JSON.stringify(json));
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
  const server = http.createServer(async (req, res) => {
    const entry: (typeof log)[number] = {
      method: req.method!,
      url: req.url!,
      ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
    };
    log.push(entry);
    let m = /^\/v1\/senders\/([^/]+)\/transactions$/.exec(req.url!);
    if (req.method === 'POST' && m) {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const json = JSON.parse(Buffer.concat(chunks).toString()) as {
        rcpt_to: unknown[];
        body?: { inline: string };
      };
      const { body, ...envelope } = json;
      entry.json = envelope;
      if (b.createStatus) return send(res, b.createStatus);
      const t: Remote = {
        id: `up-${txs.size + 1}`,
        version: 1,
        status: 'inflight',
        mail_response: b.mail ?? { code: 250, message: 'ok' },
        rcpt_response: (b.rcpt ?? json.rcpt_to.map(() => ({ code: 250, message: 'ok' }))).map(
          (r) => r,
        ),
        data_response: null,
      };
      txs.set(t.id, t);
      if (body) {
        entry.inline = true;
        received(t, entry, Buffer.from(body.inline, 'utf8'));
      }
      return send(res, 201, t);
    }
    m = /^\/v1\/transactions\/([^/]+)(\/body)?$/.exec(req.url!);
    const t = m && txs.get(m[1]!);
    if (!t) return send(res, 404);
    if (req.method === 'PUT' && m![2]) {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      received(t, entry, Buffer.concat(chunks));
      return send(res, 200, t);
    }
    if (req.method === 'GET') {
      const wait = Number(req.headers['request-timeout'] ?? 0) * 1000;
      if (req.headers['if-none-match'] === `"${t.version}"`) {
        const changed = await new Promise<boolean>((resolve) => {
          const w = () => resolve(true);
          waiters.add(w);
          setTimeout(() => {
            waiters.delete(w);
            resolve(false);
          }, wait);
        });
        if (!changed) return send(res, 304);
      }
      return send(res, 200, t);
    }
    send(res, 405);
  });
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
