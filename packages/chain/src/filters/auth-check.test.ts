import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readHeaders } from '../body.ts';
import { runChain } from '../chain.ts';
import { zoneResolver } from '../dns.ts';
import { accept } from '../responses.ts';
import type { ChainInput } from '../schemas.ts';
import { chainOf, simpleMessage, testContext, testTx } from '../test-helpers.ts';

// DNS is stubbed with a fixed zone (SPF, DMARC and DKIM records); everything else is real.
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const rsaPub = rsa.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const relay = generateKeyPairSync('rsa', { modulusLength: 2048 });
const relayPem = relay.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const relayPub = relay.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const txt = (pub: string) =>
  pub.match(/.{1,255}/g)!.map((s, i) => (i === 0 ? `v=DKIM1; k=rsa; p=${s}` : s));
const dns = zoneResolver({
  'example.com': {
    TXT: [['v=spf1 ip4:192.0.2.0/24 -all']],
    MX: [{ exchange: 'mx.example.com', priority: 10 }],
  },
  '_dmarc.example.com': { TXT: [['v=DMARC1; p=reject; adkim=r; aspf=r']] },
  'rsa1._domainkey.example.com': {
    TXT: [txt(rsaPub)],
  },
  'example.org': { TXT: [['v=spf1 -all']] },
  'arc1._domainkey.relay.test': { TXT: [txt(relayPub)] },
});

const secrets = { get: (ref: string) => (ref === 'rsa1' ? rsaPem : undefined) };

const chain = (sign: boolean) => {
  const input: ChainInput = [
    ...(sign
      ? [
          {
            filter: 'dkim_sign' as const,
            keys: [{ domain: 'example.com', selector: 'rsa1', private_key_ref: 'rsa1' }],
          },
        ]
      : []),
    { filter: 'auth_check', authserv_id: 'mx.koukan.test' },
    {
      filter: 'policy',
      rules: [
        {
          name: 'dmarc-reject',
          match: { auth: { dmarc: ['fail'], dmarc_policy: ['reject'] } },
          action: 'reject',
          response: { code: 550, enhanced: '5.7.1', message: 'DMARC policy violation' },
        },
      ],
    },
  ];
  return chainOf(input);
};
const end = { endOfChain: accept(250, '2.0.0', 'checked') };

describe('auth_check', () => {
  it('passes SPF, DKIM and DMARC for an aligned, signed message from an allowed IP', async () => {
    const tx = testTx({ session: { remote_ip: '192.0.2.10', helo: 'out.example.com' } });
    const res = await runChain(chain(true), tx, testContext({ dns, secrets }), end);
    expect(tx.auth_results).toMatchObject({
      spf: 'pass',
      dkim: [{ domain: 'example.com', result: 'pass', aligned: true }],
      dmarc: { result: 'pass', policy: 'reject' },
    });
    expect(res.rcpt[0]!.kind).toBe('accept');
    const headers = await readHeaders(tx.body!);
    const ar = headers.find((h) => h.name === 'Authentication-Results')!.value;
    expect(ar).toMatch(/^mx\.koukan\.test;/);
    expect(ar).toMatch(/dkim=pass/);
    expect(ar).toMatch(/spf=pass/);
    expect(ar).toMatch(/dmarc=pass/);
    // Authentication-Results is on top, above the DKIM signature it vouches for
    expect(headers.map((h) => h.name).indexOf('Authentication-Results')).toBeLessThan(
      headers.map((h) => h.name).indexOf('DKIM-Signature'),
    );
  });

  it('fails SPF and DMARC for a forged, unsigned message; a policy rejects DMARC p=reject', async () => {
    const tx = testTx({ session: { remote_ip: '198.51.100.7', helo: 'forger.test' } });
    const res = await runChain(chain(false), tx, testContext({ dns, secrets }), end);
    expect(tx.auth_results).toMatchObject({
      spf: 'fail',
      dkim: [],
      dmarc: { result: 'fail', policy: 'reject' },
    });
    expect(res.rcpt[0]).toEqual({
      kind: 'perm',
      response: { code: 550, enhanced: '5.7.1', message: 'DMARC policy violation' },
    });
    expect(res.events.map((e) => e.type)).toEqual(['auth_checked', 'policy_reject']);
  });

  it('reports a broken DKIM signature as not passing', async () => {
    const tx = testTx({ session: { remote_ip: '192.0.2.10' } });
    // sign, then alter the body before checking
    const signOnly = chainOf([
      {
        filter: 'dkim_sign',
        keys: [{ domain: 'example.com', selector: 'rsa1', private_key_ref: 'rsa1' }],
      },
    ]);
    await runChain(signOnly, tx, testContext({ dns, secrets }), end);
    const { streamToBuffer, bodyFromBuffer } = await import('../body.ts');
    const raw = (await streamToBuffer(tx.body!.open()))
      .toString()
      .replace('Hello Bob', 'Hello Eve');
    tx.body = bodyFromBuffer(raw);
    await runChain(chain(false), tx, testContext({ dns, secrets }), end);
    expect(tx.auth_results?.dkim?.[0]?.result).not.toBe('pass');
    // SPF still passes, so DMARC passes through SPF alignment
    expect(tx.auth_results?.spf).toBe('pass');
    expect(tx.auth_results?.dmarc?.result).toBe('pass');
  });

  it('answers none/fail for a domain without DMARC and a hard SPF fail', async () => {
    const tx = testTx({
      mail_from: { m: 'x@example.org' },
      message: simpleMessage('x@example.org'),
      session: { remote_ip: '203.0.113.5' },
    });
    await runChain(chain(false), tx, testContext({ dns, secrets }), end);
    expect(tx.auth_results).toMatchObject({ spf: 'fail', dmarc: { result: 'none' } });
  });

  it('ARC-seals at one hop and verifies the seal at the next', async () => {
    const tx = testTx({ session: { remote_ip: '192.0.2.10', helo: 'out.example.com' } });
    const hop1 = chainOf([
      {
        filter: 'dkim_sign',
        keys: [{ domain: 'example.com', selector: 'rsa1', private_key_ref: 'rsa1' }],
      },
      {
        filter: 'auth_check',
        authserv_id: 'relay.test',
        arc_seal: { domain: 'relay.test', selector: 'arc1', private_key_ref: 'arc' },
      },
    ]);
    const ctx1 = testContext({
      dns,
      secrets: { get: (ref) => ({ arc: relayPem, rsa1: rsaPem })[ref] },
    });
    const r1 = await runChain(hop1, tx, ctx1, end);
    expect(tx.auth_results?.arc).toBe('none');
    expect(r1.events.at(-1)).toMatchObject({ type: 'auth_checked', data: { arc_sealed: true } });
    const names = (await readHeaders(tx.body!)).map((h) => h.name);
    expect(names).toEqual(
      expect.arrayContaining(['ARC-Seal', 'ARC-Message-Signature', 'ARC-Authentication-Results']),
    );
    expect(JSON.stringify(r1.events) + ctx1.lines.join('')).not.toContain('PRIVATE KEY');

    // next hop: the relay's IP is not in example.com's SPF, but the ARC chain verifies
    tx.session = { remote_ip: '203.0.113.9', helo: 'relay.test' };
    tx.auth_results = undefined;
    await runChain(chain(false), tx, testContext({ dns, secrets }), end);
    expect(tx.auth_results).toMatchObject({
      arc: 'pass',
      spf: 'fail',
      dkim: [{ domain: 'example.com', result: 'pass' }],
    });
  });
});
