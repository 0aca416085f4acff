import { type FakePolicy, FakeServer } from '@koukan/protocol/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { bodyFromBuffer } from '../body.ts';
import { runChain } from '../chain.ts';
import type { ChainInput } from '../schemas.ts';
import { chainOf, simpleMessage, testContext, testTx } from '../test-helpers.ts';
import { eitherSignal } from './rest-output.ts';

const chainTo = (url: string, extra: Record<string, unknown> = {}) =>
  chainOf([
    { filter: 'rest_output', url, sender: 'outbound', api_key_ref: 'k', ...extra },
  ] as ChainInput);

// the API key comes through the secrets port, as in production
const keyed = () =>
  testContext({ secrets: { get: (ref) => (ref === 'k' ? 'k-secret' : undefined) } });

afterEach(FakeServer.closeAll);
const fake = (policy: Partial<FakePolicy> = {}) => new FakeServer(policy).start();

describe('rest_output', () => {
  it('creates the transaction, streams the body, long-polls and maps the responses', async () => {
    const srv = await fake({
      rcpt: (m) =>
        m.m === 'nobody@example.net'
          ? { code: 550, message: '5.1.1 no such user' }
          : { code: 250, message: 'ok' },
      delayMs: 1200, // longer than one long-poll round: the client sees a 304 first
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
    const res = await runChain(chainTo(srv.url, { poll_timeout: 1 }), tx, keyed());
    expect(res.rcpt).toEqual([
      { kind: 'accept', response: { code: 250, message: '2.0.0 OK queued as t1' } },
      { kind: 'perm', response: { code: 550, message: '5.1.1 no such user' } },
    ]);
    expect(res.data).toEqual({
      kind: 'accept',
      response: { code: 250, message: '2.0.0 OK queued as t1' },
    });
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
    expect(put).toMatchObject({ method: 'PUT', url: '/v1/transactions/t1/body' });
    expect(Buffer.concat(srv.sole().body).equals(Buffer.from(message))).toBe(true);
    expect(gets.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(res.events)).not.toContain('k-secret');
  });

  it('fails every recipient with the MAIL answer and uploads no body', async () => {
    const srv = await fake({ mail: () => ({ code: 550, message: 'sender rejected' }) });
    const res = await runChain(
      chainTo(srv.url, { inline_body_max: 0 }),
      testTx({ rcpt_to: [{ m: 'a@x.test' }, { m: 'b@x.test' }] }),
      keyed(),
    );
    expect(res.mail).toEqual({ kind: 'perm', response: { code: 550, message: 'sender rejected' } });
    expect(res.rcpt.map((v) => v.response.code)).toEqual([550, 550]);
    expect(srv.log.map((l) => l.method)).toEqual(['POST']);
  });

  it('sends a small UTF-8 body inline with the create, and 8-bit or larger bodies by PUT', async () => {
    const srv = await fake();
    const utf8 = Buffer.from(simpleMessage('a@x.test', 'b@x.test', 'Grüße, ça va ? ✓\r\n'));
    const latin1 = Buffer.concat([utf8, Buffer.from([0xe9, 0x0d, 0x0a])]); // not valid UTF-8
    const big = Buffer.from(simpleMessage('a@x.test', 'b@x.test', 'y'.repeat(2000)));
    for (const [body, max] of [
      [utf8, 65536],
      [latin1, 65536],
      [big, 1000],
    ] as const) {
      const res = await runChain(
        chainTo(srv.url, { poll_timeout: 1, inline_body_max: max }),
        testTx({ body: bodyFromBuffer(body) }),
        keyed(),
      );
      expect(res.data?.kind).toBe('accept');
    }
    const posts = srv.log.filter((l) => l.method === 'POST');
    const puts = srv.log.filter((l) => l.method === 'PUT');
    expect(posts.map((p) => Boolean(p.json?.body))).toEqual([true, false, false]);
    expect(puts).toHaveLength(2);
    // Byte for byte, whichever way it travelled.
    expect([...srv.txns.values()].map((t) => Buffer.concat(t.body).toString('hex'))).toEqual(
      [utf8, latin1, big].map((b) => b.toString('hex')),
    );
  });

  it('uploads a small body in one piece (sized or not), a larger one streamed', async () => {
    const srv = await fake();
    const small = Buffer.from(simpleMessage('a@x.test', 'b@x.test', 'z'.repeat(4000)));
    const large = Buffer.from(
      simpleMessage('a@x.test', 'b@x.test', `${'l'.repeat(998)}\r\n`.repeat(400)),
    );
    const unsized = { open: () => bodyFromBuffer(small).open() };
    for (const body of [bodyFromBuffer(small), bodyFromBuffer(large), unsized]) {
      const res = await runChain(chainTo(srv.url, { poll_timeout: 1 }), testTx({ body }), keyed());
      expect(res.data?.kind).toBe('accept');
    }
    const puts = srv.log.filter((l) => l.method === 'PUT');
    expect(puts.map((p) => p.framing)).toEqual([
      String(small.length),
      'chunked',
      String(small.length),
    ]);
    expect([...srv.txns.values()].map((t) => Buffer.concat(t.body).toString('hex'))).toEqual(
      [small, large, small].map((b) => b.toString('hex')),
    );
  });

  it('maps a response timeout to 451 4.4.2', async () => {
    const srv = await fake({ data: () => undefined }); // never answers DATA
    const res = await runChain(
      chainTo(srv.url, { response_timeout: 1.5, poll_timeout: 1 }),
      testTx(),
      keyed(),
    );
    expect(res.rcpt[0]).toEqual({
      kind: 'temp',
      response: { code: 451, enhanced: '4.4.2', message: 'next hop response timed out' },
    });
    expect(res.events.map((e) => e.type)).toContain('upstream_timeout');
  });

  it('maps a server that accepts but never answers to a temporary failure', async () => {
    const silent = await FakeServer.serve(() => {});
    const res = await runChain(chainTo(silent, { response_timeout: 0.5 }), testTx(), keyed());
    expect(res.rcpt[0]).toMatchObject({ kind: 'temp', response: { code: 451, enhanced: '4.4.2' } });
  });

  it('maps a refused connection to 451 4.4.1', async () => {
    const srv = await fake();
    await srv.close();
    const res = await runChain(chainTo(srv.url), testTx(), keyed());
    expect(res.rcpt[0]).toMatchObject({ kind: 'temp', response: { code: 451, enhanced: '4.4.1' } });
    expect(res.rcpt[0]!.response.message).toMatch(/ECONNREFUSED/);
  });

  it('maps an HTTP error from the next hop to a temporary failure', async () => {
    const srv = await fake({ createStatus: 503 });
    const res = await runChain(chainTo(srv.url), testTx(), keyed());
    expect(res.rcpt[0]).toMatchObject({
      kind: 'temp',
      response: { code: 451, message: 'create: upstream answered HTTP 503' },
    });
  });

  it('resolves the API key through the secrets port', async () => {
    const srv = await fake();
    const chain = chainOf([
      { filter: 'rest_output', url: srv.url, sender: 'outbound', api_key_ref: 'gw' },
    ]);
    const res = await runChain(
      chain,
      testTx(),
      testContext({ secrets: { get: (ref) => (ref === 'gw' ? 'from-store' : undefined) } }),
    );
    expect(res.rcpt[0]!.kind).toBe('accept');
    expect(srv.log[0]!.auth).toBe('Bearer from-store');
    const missing = await runChain(chain, testTx(), testContext());
    expect(missing.rcpt[0]!.response.message).toBe('rest_output credentials unavailable');
  });
});

describe('eitherSignal', () => {
  it('aborts with the reason of whichever signal aborts first, until released', () => {
    const a = new AbortController();
    const b = new AbortController();
    const one = eitherSignal(a.signal, b.signal);
    b.abort(new Error('attempt given up'));
    expect(one.signal.reason).toEqual(new Error('attempt given up'));
    const early = eitherSignal(AbortSignal.abort(new Error('timed out')), b.signal);
    expect(early.signal.reason).toEqual(new Error('timed out'));
    const c = new AbortController();
    const released = eitherSignal(c.signal, new AbortController().signal);
    released.release();
    c.abort();
    expect(released.signal.aborted).toBe(false);
  });
});
