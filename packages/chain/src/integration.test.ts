// The seed's `submission` chain end to end: message-builder JSON → RFC 822 → DKIM → routing →
// MX lookup (stub DNS) → rest_output to a real HTTP server speaking the transaction protocol.
import { generateKeyPairSync } from 'node:crypto';
import { FakeServer } from '@koukan/protocol/testing';
import { dkimVerify } from 'mailauth';
import { afterEach, describe, expect, it } from 'vitest';
import { runChain } from './chain.ts';
import { defaultChains } from './defaults.ts';
import { zoneResolver } from './dns.ts';
import { validateChainSet } from './schemas.ts';
import { testContext } from './test-helpers.ts';

afterEach(FakeServer.closeAll);

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const pub = rsa.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const dns = zoneResolver({
  'example.net': {
    MX: [
      { exchange: 'mx2.example.net', priority: 20 },
      { exchange: 'mx1.example.net', priority: 10 },
    ],
  },
  'k1._domainkey.example.com': {
    TXT: [pub.match(/.{1,255}/g)!.map((s, i) => (i === 0 ? `v=DKIM1; p=${s}` : s))],
  },
});

const submission = {
  from: [{ address: 'app@example.com', name: 'Ápp' }],
  to: [{ address: 'bob@example.net' }],
  subject: 'Ihre Bestellung — 注文',
  text: { content: { inline: 'Danke!' } },
};

async function run(opts: { smarthost?: string }) {
  const srv = await new FakeServer({ delayMs: 10 }).start();
  const set = validateChainSet(
    defaultChains({
      gatewayUrl: srv.url,
      dkim: { domain: 'example.com', selector: 'k1' },
      ...opts,
    }),
  );
  if (!set.ok) throw new Error(JSON.stringify(set.errors));
  const tx = {
    id: 'sub-1',
    sender: 'submission',
    mail_from: { m: 'app@example.com' },
    rcpt_to: [{ m: 'bob@example.net' }],
    message_builder: submission,
    session: { protocol: 'HTTPS', auth: { user: 'submission' } },
  };
  const secrets = { get: (ref: string) => ({ 'dkim/example.com': pem, gateway: 'gw-key' })[ref] };
  const res = await runChain(set.chains.submission!, tx, testContext({ dns, secrets }));
  return { res, srv };
}

describe('default submission chain', () => {
  it('builds, signs, resolves MX and hands the message to the gateway', async () => {
    const { res, srv } = await run({});
    expect(res.rcpt[0]).toEqual({
      kind: 'accept',
      response: { code: 250, message: '2.0.0 OK queued as t1' },
    });
    expect(srv.log[0]).toMatchObject({
      auth: 'Bearer gw-key',
      json: {
        remote_hosts: [
          { host: 'mx1.example.net', port: 25 },
          { host: 'mx2.example.net', port: 25 },
        ],
      },
    });
    const v = await dkimVerify(Buffer.concat(srv.sole().body), { resolver: dns });
    expect(v.results.map((r) => [r.signingDomain, r.status.result])).toEqual([
      ['example.com', 'pass'],
    ]);
    expect(res.events.map((e) => e.type)).toEqual([
      'message_built',
      'dkim_signed',
      'dns_resolved',
      'upstream_created',
      'upstream_body_sent',
      'upstream_done',
    ]);
  });

  it('sends everything to the smarthost without DNS when one is configured', async () => {
    const { res, srv } = await run({ smarthost: 'relay.internal:2525' });
    expect(res.rcpt[0]!.kind).toBe('accept');
    expect(srv.log[0]).toMatchObject({
      json: { remote_hosts: [{ host: 'relay.internal', port: 2525 }] },
    });
  });
});
