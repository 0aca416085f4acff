import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { outboundPerTest } from '../testing/per-test.ts';

const BODY = 'From: a@example.org\r\nTo: b@example.net\r\nSubject: out\r\n\r\nHello.\r\n';
const { defer, gateway, sink } = outboundPerTest();
const hosts = (...ports: number[]) => ports.map((port) => ({ host: '127.0.0.1', port }));
const mb = (m: string) => ({ m });

async function send(
  g: Awaited<ReturnType<typeof gateway>>,
  rcpts: string[],
  remote_hosts: { host: string; port: number }[],
  extra: Record<string, unknown> = {},
) {
  const created = await g.call('POST', '/v1/senders/smtp-msa-output/transactions', {
    mail_from: mb('a@example.org'),
    rcpt_to: rcpts.map(mb),
    remote_hosts,
    ...extra,
  });
  expect(created.status).toBe(201);
  expect((await g.call('PUT', `/v1/transactions/${created.json.id}/body`, BODY)).status).toBe(200);
  return g.waitDone(created.json.id);
}

describe('outbound delivery (REST → SMTP)', () => {
  it('delivers to several recipients and reports the upstream replies verbatim', async () => {
    const s = await sink({
      rcpt: (to) =>
        to.startsWith('bad')
          ? '550 5.1.1 <bad@example.net>: no such user'
          : to.startsWith('later')
            ? '452 4.2.2 mailbox full'
            : undefined,
      data: () => '2.0.0 Ok: queued as 4XyZ',
    });
    const g = await gateway();
    const t = await send(
      g,
      ['b@example.net', 'bad@example.net', 'later@example.net', 'c@example.net'],
      hosts(s.port),
    );
    expect(t.mail_response).toEqual({ code: 250, message: 'Accepted' });
    expect(t.rcpt_response).toEqual([
      { code: 250, message: 'Accepted' },
      { code: 550, enhanced: '5.1.1', message: '<bad@example.net>: no such user' },
      { code: 452, enhanced: '4.2.2', message: 'mailbox full' },
      { code: 250, message: 'Accepted' },
    ]);
    expect(t.data_response).toEqual({
      code: 250,
      enhanced: '2.0.0',
      message: 'Ok: queued as 4XyZ',
    });
    expect(t.upstream).toBe(`127.0.0.1:${s.port}`);
    expect(s.received).toHaveLength(1);
    expect(s.received[0]?.to).toEqual(['b@example.net', 'c@example.net']);
    expect(s.received[0]?.body).toBe(BODY);
    expect(s.received[0]?.secure).toBe(true);
    expect(s.received[0]?.helo).toBe('gateway.test');
  });

  it('answers a body upload that asks Prefer: wait with the outcome (no long-poll needed)', async () => {
    const s = await sink();
    const g = await gateway();
    const created = await g.call('POST', '/v1/senders/smtp-msa-output/transactions', {
      mail_from: mb('a@example.org'),
      rcpt_to: [mb('b@example.net')],
      remote_hosts: hosts(s.port),
    });
    const path = `/v1/transactions/${created.json.id}/body`;
    const put = await g.call('PUT', path, BODY, { prefer: 'wait=10' });
    expect(put.json).toMatchObject({ status: 'done', data_response: { code: 250 } });
    expect(s.received).toHaveLength(1);
  });

  it('uses SMTPUTF8 and 8BITMIME when the peer offers them, and says 553 when it does not', async () => {
    const modern = await sink();
    const old = await sink({ plain: true });
    const g = await gateway();
    const body = 'From: jörg@exämple.org\r\nSubject: grüße\r\n\r\nÄ\r\n';
    const create = async (port: number, to: string) => {
      const c = await g.call('POST', '/v1/senders/s/transactions', {
        mail_from: mb('jörg@exämple.org'),
        rcpt_to: [mb(to)],
        remote_hosts: hosts(port),
        body: { inline: body },
      });
      return g.waitDone(c.json.id);
    };
    const t = await create(modern.port, 'b@example.net');
    expect(t.data_response?.code).toBe(250);
    expect(modern.received[0]).toMatchObject({ smtpUtf8: true, bodyType: '8bitmime', body });
    const refused = await create(old.port, 'b@example.net');
    expect(refused.mail_response?.code).toBe(553);
    expect(old.received).toHaveLength(0);
  });

  it('moves on after a temporary refusal in the greeting', async () => {
    const busy = createServer((socket) => socket.end('421 4.3.2 busy, come back later\r\n'));
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    defer(() => new Promise((r) => busy.close(() => r())));
    const good = await sink();
    const g = await gateway();
    const busyPort = (busy.address() as { port: number }).port;
    const t = await send(g, ['b@example.net'], hosts(busyPort, good.port));
    expect(t.attempts[0]).toMatchObject({ port: busyPort, reply: { code: 421 } });
    expect(t.upstream).toBe(`127.0.0.1:${good.port}`);
  });

  it('falls back to the next host on a refused connection and a temporary MAIL failure', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const busy = await sink({ mail: () => '451 4.3.2 try later' });
    const good = await sink();
    const g = await gateway();
    const t = await send(g, ['b@example.net'], hosts(deadPort, busy.port, good.port));
    expect(t.data_response?.code).toBe(250);
    expect(t.upstream).toBe(`127.0.0.1:${good.port}`);
    expect(t.attempts).toEqual([
      {
        host: '127.0.0.1',
        port: deadPort,
        reply: { code: 451, enhanced: '4.4.1', message: expect.stringMatching(/ECONNREFUSED/) },
      },
      {
        host: '127.0.0.1',
        port: busy.port,
        reply: { code: 451, enhanced: '4.3.2', message: 'try later' },
      },
    ]);
    expect(busy.received).toHaveLength(0);
    expect(good.received).toHaveLength(1);
  });

  it('stops at a permanent MAIL failure', async () => {
    const refusing = await sink({ mail: () => '550 5.7.1 sender blocked' });
    const good = await sink();
    const g = await gateway();
    const t = await send(g, ['b@example.net'], hosts(refusing.port, good.port));
    expect(t.mail_response).toEqual({ code: 550, enhanced: '5.7.1', message: 'sender blocked' });
    expect(t.data_response).toBeNull();
    expect(good.received).toHaveLength(0);
  });

  it('delivers by LMTP with a DATA reply per recipient', async () => {
    const s = await sink({
      lmtp: true,
      data: (to) =>
        to.startsWith('full') ? '452 4.2.2 quota exceeded' : `2.0.0 <${to}> delivered`,
    });
    const g = await gateway();
    const t = await send(g, ['b@example.net', 'full@example.net', 'c@example.net'], hosts(s.port), {
      lmtp: true,
    });
    expect(t.rcpt_data_response).toEqual([
      { code: 250, enhanced: '2.0.0', message: '<b@example.net> delivered' },
      { code: 452, enhanced: '4.2.2', message: 'quota exceeded' },
      { code: 250, enhanced: '2.0.0', message: '<c@example.net> delivered' },
    ]);
    // as the router's rest_output reads it: each accepted recipient's outcome is data_response
    // unless its rcpt_response is a refusal
    expect(t.rcpt_response[1]).toEqual({ code: 452, enhanced: '4.2.2', message: 'quota exceeded' });
    expect(t.data_response).toEqual({
      code: 250,
      enhanced: '2.0.0',
      message: '<b@example.net> delivered',
    });
  });

  it('without remote_hosts, delivers to the default next hop (LMTP), or says 422', async () => {
    const s = await sink({ lmtp: true });
    const g = await gateway({}, { host: '127.0.0.1', port: s.port, lmtp: true });
    const c = await g.call('POST', '/v1/senders/inbound/transactions', {
      mail_from: mb('a@example.org'),
      rcpt_to: [mb('b@localhost')],
      body: { inline: BODY },
    });
    const t = await g.waitDone(c.json.id);
    expect(t.data_response).toEqual({ code: 250, message: 'OK b@localhost' });
    expect(t.rcpt_data_response).toHaveLength(1);
    const plain = await gateway();
    const refused = await plain.call('POST', '/v1/senders/inbound/transactions', {
      mail_from: mb('a@example.org'),
      rcpt_to: [mb('b@localhost')],
    });
    expect(refused.status).toBe(422);
  });

  it('reuses connections and holds the per-destination limit', async () => {
    const s = await sink();
    const g = await gateway({ maxPerDestination: 2 });
    await send(g, ['b@example.net'], hosts(s.port));
    await send(g, ['c@example.net'], hosts(s.port));
    expect(s.connections).toBe(1);
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => send(g, [`r${i}@example.net`], hosts(s.port))),
    );
    expect(s.maxOpen).toBeLessThanOrEqual(2);
    expect(s.received).toHaveLength(8);
    expect(new Set(s.received.map((r) => r.connection)).size).toBeLessThanOrEqual(2);
  });

  it('wants the gateway token, validates, long-polls and cancels', async () => {
    const g = await gateway();
    const anon = await fetch(`${g.url}/v1/transactions/x`);
    expect(anon.status).toBe(401);
    const bad = await g.call('POST', '/v1/senders/s/transactions', { mail_from: mb('a@b') });
    expect(bad.status).toBe(400);
    const created = await g.call('POST', '/v1/senders/s/transactions', {
      mail_from: mb('a@example.org'),
      rcpt_to: [mb('b@example.net')],
      remote_hosts: hosts(1),
    });
    const t0 = Date.now();
    const polled = await g.call('GET', `/v1/transactions/${created.json.id}`, undefined, {
      'if-none-match': created.etag,
      'request-timeout': '1',
    });
    expect(polled.status).toBe(304);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    const cancelled = await g.call('POST', `/v1/transactions/${created.json.id}/cancel`);
    expect(cancelled.json.status).toBe('cancelled');
    expect((await g.call('PUT', `/v1/transactions/${created.json.id}/body`, BODY)).status).toBe(
      409,
    );
    expect((await fetch(`${g.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${g.url}/metrics`)).text()).toContain('koukan_gateway_outbound');
  });
});
