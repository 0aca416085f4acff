import { createHash } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { bodyFromBuffer } from '../body.ts';
import { runChain } from '../chain.ts';
import { type ChainInput, validateChain } from '../schemas.ts';
import { simpleMessage, testContext, testTx } from '../test-helpers.ts';
import type { SmtpResponse } from '../types.ts';

type Remote = {
  id: string;
  version: number;
  status: string;
  mail_response: SmtpResponse | null;
  rcpt_response: (SmtpResponse | null)[];
  data_response: SmtpResponse | null;
};

type Behaviour = {
  mail?: SmtpResponse;
  rcpt?: SmtpResponse[];
  /** answered after the body arrived, after this many ms; undefined = never */
  dataAfterMs?: number;
  data?: SmtpResponse;
  createStatus?: number;
};

/** A real HTTP server speaking the transaction protocol (DESIGN.md §6), on port 0. */
async function protocolServer(b: Behaviour) {
  const txs = new Map<string, Remote>();
  const log: {
    method: string;
    url: string;
    auth?: string;
    json?: unknown;
    bodyHash?: string;
    bodySize?: number;
  }[] = [];
  const waiters = new Set<() => void>();
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
      const json = JSON.parse(Buffer.concat(chunks).toString()) as { rcpt_to: unknown[] };
      entry.json = json;
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
      return send(res, 201, t);
    }
    m = /^\/v1\/transactions\/([^/]+)(\/body)?$/.exec(req.url!);
    const t = m && txs.get(m[1]!);
    if (!t) return send(res, 404);
    if (req.method === 'PUT' && m![2]) {
      const h = createHash('sha256');
      let size = 0;
      for await (const c of req) {
        h.update(c as Buffer);
        size += (c as Buffer).length;
      }
      entry.bodyHash = h.digest('hex');
      entry.bodySize = size;
      if (b.dataAfterMs !== undefined) {
        setTimeout(() => {
          t.data_response = b.data ?? { code: 250, message: 'delivered' };
          t.status = 'delivered';
          bump(t);
        }, b.dataAfterMs);
      }
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
  return { url, log, server };
}

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

const chainTo = (url: string, extra: Record<string, unknown> = {}) => {
  const r = validateChain([
    { filter: 'rest_output', url, sender: 'outbound', api_key: 'k-secret', ...extra },
  ] as ChainInput);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.chain;
};

describe('rest_output', () => {
  it('creates the transaction, streams the body, long-polls and maps the responses', async () => {
    const srv = await protocolServer({
      rcpt: [
        { code: 250, message: 'ok' },
        { code: 550, message: '5.1.1 no such user' },
      ],
      dataAfterMs: 1200, // longer than one long-poll round: the client sees a 304 first
    });
    const message = simpleMessage(
      'alice@example.com',
      'bob@example.net',
      `${'x'.repeat(998)}\r\n`.repeat(5000),
    );
    const tx = testTx({
      rcpt_to: [
        { m: 'bob@example.net', e: [{ k: 'NOTIFY', p: 'FAILURE' }] },
        { m: 'nobody@example.net' },
      ],
      body: bodyFromBuffer(message),
      routing: { remote_hosts: [{ host: 'mx1.example.net', port: 25 }] },
    });
    const res = await runChain(chainTo(srv.url, { poll_timeout: 1 }), tx, testContext());
    expect(res.rcpt).toEqual([
      { kind: 'accept', response: { code: 250, message: 'delivered' } },
      { kind: 'perm', response: { code: 550, message: '5.1.1 no such user' } },
    ]);
    expect(res.data).toEqual({ kind: 'accept', response: { code: 250, message: 'delivered' } });
    const [post, put, ...gets] = srv.log;
    expect(post).toMatchObject({
      method: 'POST',
      url: '/v1/senders/outbound/transactions',
      auth: 'Bearer k-secret',
      json: {
        mail_from: { m: 'alice@example.com' },
        rcpt_to: [
          { m: 'bob@example.net', e: [{ k: 'NOTIFY', p: 'FAILURE' }] },
          { m: 'nobody@example.net' },
        ],
        remote_hosts: [{ host: 'mx1.example.net', port: 25 }],
      },
    });
    expect(put).toMatchObject({
      method: 'PUT',
      url: '/v1/transactions/up-1/body',
      bodySize: Buffer.byteLength(message),
    });
    expect(put!.bodyHash).toBe(createHash('sha256').update(message).digest('hex'));
    expect(gets.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(res.events)).not.toContain('k-secret');
  });

  it('fails every recipient with the MAIL answer and sends no body', async () => {
    const srv = await protocolServer({ mail: { code: 550, message: 'sender rejected' } });
    const res = await runChain(
      chainTo(srv.url),
      testTx({ rcpt_to: [{ m: 'a@x.test' }, { m: 'b@x.test' }] }),
      testContext(),
    );
    expect(res.mail).toEqual({ kind: 'perm', response: { code: 550, message: 'sender rejected' } });
    expect(res.rcpt.map((v) => v.response.code)).toEqual([550, 550]);
    expect(srv.log.map((l) => l.method)).toEqual(['POST']);
  });

  it('maps a response timeout to 451 4.4.2', async () => {
    const srv = await protocolServer({}); // never answers DATA
    const res = await runChain(
      chainTo(srv.url, { response_timeout: 1.5, poll_timeout: 1 }),
      testTx(),
      testContext(),
    );
    expect(res.rcpt[0]).toEqual({
      kind: 'temp',
      response: { code: 451, enhanced: '4.4.2', message: 'next hop response timed out' },
    });
    expect(res.events.map((e) => e.type)).toContain('upstream_timeout');
  });

  it('maps a server that accepts but never answers to a temporary failure', async () => {
    const silent = http.createServer(() => {});
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    servers.push(silent);
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const res = await runChain(chainTo(url, { response_timeout: 0.5 }), testTx(), testContext());
    expect(res.rcpt[0]).toMatchObject({ kind: 'temp', response: { code: 451, enhanced: '4.4.2' } });
  });

  it('maps a refused connection to 451 4.4.1', async () => {
    const srv = await protocolServer({});
    srv.server.close();
    await once(srv.server, 'close');
    const res = await runChain(chainTo(srv.url), testTx(), testContext());
    expect(res.rcpt[0]).toMatchObject({ kind: 'temp', response: { code: 451, enhanced: '4.4.1' } });
    expect(res.rcpt[0]!.response.message).toMatch(/ECONNREFUSED/);
  });

  it('maps an HTTP error from the next hop to a temporary failure', async () => {
    const srv = await protocolServer({ createStatus: 503 });
    const res = await runChain(chainTo(srv.url), testTx(), testContext());
    expect(res.rcpt[0]).toMatchObject({
      kind: 'temp',
      response: { code: 451, message: 'create: upstream answered HTTP 503' },
    });
  });

  it('resolves the API key through the secrets port', async () => {
    const srv = await protocolServer({ dataAfterMs: 0 });
    const r = validateChain([
      { filter: 'rest_output', url: srv.url, sender: 'outbound', api_key_ref: 'gw' },
    ]);
    if (!r.ok) throw new Error('invalid');
    const res = await runChain(
      r.chain,
      testTx(),
      testContext({ secrets: { get: (ref) => (ref === 'gw' ? 'from-store' : undefined) } }),
    );
    expect(res.rcpt[0]!.kind).toBe('accept');
    expect(srv.log[0]!.auth).toBe('Bearer from-store');
    const missing = await runChain(r.chain, testTx(), testContext());
    expect(missing.rcpt[0]!.response.message).toBe('rest_output credentials unavailable');
  });
});
