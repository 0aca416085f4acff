import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { bodyFromBuffer, type ChainInput, runChain, validateChain } from '@koukan/chain';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createReceiver, type InboundMessage } from './receiver.ts';

/**
 * The receiver driven by the router's real `rest_output` filter (the code that calls it in
 * production), on loopback; and by plain HTTP for the protocol's edges.
 */
const token = 'receiver-test-token-0123456789';
const servers: { close(): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function start(onMessage: (m: InboundMessage) => void | Promise<void>) {
  const server = createReceiver({ token, onMessage, maxBodyBytes: 256 * 1024 });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function restOutput(url: string, extra: Record<string, unknown> = {}) {
  const r = validateChain([
    { filter: 'rest_output', url, sender: 'inbound', api_key_ref: 'receiver', ...extra },
  ] as ChainInput);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.chain;
}

const message = [
  'From: Alice Example <alice@example.com>',
  'To: Bob <bob@localhost>, carol@localhost',
  'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=',
  'Date: Wed, 02 Dec 2026 03:00:00 +0000',
  'Message-ID: <receiver-1@example.com>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Hallo Bob, sch=C3=B6ne Gr=C3=BC=C3=9Fe.',
  '--b1',
  'Content-Type: application/octet-stream; name="data.bin"',
  'Content-Disposition: attachment; filename="data.bin"',
  'Content-Transfer-Encoding: base64',
  '',
  'AAECAwQ=',
  '--b1--',
  '',
].join('\r\n');

// The receiver's token reaches rest_output as a secret, as the router's secret store gives it.
const ctx = () => ({
  logger: pino({ level: 'silent' }),
  hostname: 'mx.koukan.test',
  secrets: { get: (ref: string) => (ref === 'receiver' ? token : undefined) },
});
const tx = (body: string) => ({
  id: 'tx-1',
  sender: 'smtp-mx-output',
  mail_from: { m: 'alice@example.com' },
  rcpt_to: [{ m: 'bob@localhost' }],
  body: bodyFromBuffer(Buffer.from(body)),
});

describe('example receiver', () => {
  for (const [how, extra] of [
    ['inline in the create', {}],
    ['with PUT …/body', { inline_body_max: 0 }],
  ] as const) {
    it(`gets the message ${how} from rest_output and hands it over parsed`, async () => {
      const got: InboundMessage[] = [];
      const url = await start((m) => {
        got.push(m);
      });
      const res = await runChain(restOutput(url, extra), tx(message), ctx());
      expect(res.rcpt).toEqual([
        { kind: 'accept', response: { code: 250, message: '2.0.0 message received' } },
      ]);
      expect(got).toHaveLength(1);
      const m = got[0]!;
      expect(m).toMatchObject({
        sender: 'inbound',
        mail_from: 'alice@example.com',
        rcpt_to: ['bob@localhost'],
        size: Buffer.byteLength(message),
      });
      expect(m.raw.toString()).toBe(message);
      expect(m.message).toMatchObject({
        subject: 'Grüße',
        message_id: '<receiver-1@example.com>',
        date: '2026-12-02T03:00:00.000Z',
        from: [{ address: 'alice@example.com', name: 'Alice Example' }],
        to: [{ address: 'bob@localhost', name: 'Bob' }, { address: 'carol@localhost' }],
        text: 'Hallo Bob, schöne Grüße.',
        attachments: [
          {
            filename: 'data.bin',
            content_type: 'application/octet-stream',
            size: 5,
            disposition: 'attachment',
            // sha256 of the bytes 00 01 02 03 04
            sha256: '08bb5e5d6eaac1049ede0893d30ed022b1a4d9b5b48db414871f51c9cb35283d',
          },
        ],
      });
      expect(m.message.headers['message-id']).toEqual(['<receiver-1@example.com>']);
      // The parsed message survives JSON (what main.ts prints).
      expect(JSON.parse(JSON.stringify(m.message))).toEqual(m.message);
    });
  }

  it('answers 451 when the application fails, so the router tries again later', async () => {
    const url = await start(() => {
      throw new Error('disk full');
    });
    const res = await runChain(restOutput(url, { inline_body_max: 0 }), tx(message), ctx());
    expect(res.rcpt?.[0]).toMatchObject({ kind: 'temp', response: { code: 451 } });
  });

  it('refuses a wrong token, bad JSON naming the field, and too large a body', async () => {
    const url = await start(() => {});
    const create = (body: string, auth = `Bearer ${token}`) =>
      fetch(`${url}/v1/senders/inbound/transactions`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body,
      });
    expect((await create('{}', 'Bearer wrong')).status).toBe(401);
    const bad = await create('{"mail_from":{"m":"a@b"},"rcpt_to":[]}');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { details: [{ field: 'rcpt_to' }] } });
    expect((await create('not json')).status).toBe(400);
    const malformed = await fetch(`${url}/v1/transactions/%E0%A4%A/body`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
      body: 'x',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { details: [{ field: 'id' }] } });

    const created = await create('{"mail_from":{"m":"a@b"},"rcpt_to":[{"m":"c@d"}]}');
    expect(created.status).toBe(201);
    const location = created.headers.get('location')!;
    const etag = created.headers.get('etag')!;
    const put = await fetch(`${url}${location}/body`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
      body: 'x'.repeat(300 * 1024),
    });
    expect(put.status).toBe(413);
    // Nothing changed: a short long-poll ends in 304, then a cancel ends it.
    const poll = await fetch(`${url}${location}`, {
      headers: { authorization: `Bearer ${token}`, 'if-none-match': etag, 'request-timeout': '1' },
    });
    expect(poll.status).toBe(304);
    const cancel = await fetch(`${url}${location}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await cancel.json()).toMatchObject({ status: 'cancelled' });
  });

  it('answers a waiting long-poll as soon as the body has been handled', async () => {
    const url = await start(() => {});
    const auth = { authorization: `Bearer ${token}` };
    const created = await fetch(`${url}/v1/senders/inbound/transactions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ mail_from: { m: 'a@b' }, rcpt_to: [{ m: 'c@d' }] }),
    });
    const location = created.headers.get('location')!;
    const poll = fetch(`${url}${location}`, {
      headers: { ...auth, 'if-none-match': created.headers.get('etag')!, 'request-timeout': '30' },
    });
    await fetch(`${url}${location}/body`, { method: 'PUT', headers: auth, body: message });
    const answered = await poll;
    expect(answered.status).toBe(200);
    expect(await answered.json()).toMatchObject({
      status: 'done',
      data_response: { code: 250 },
    });
  });
});
