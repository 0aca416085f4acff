import { generateKeyPairSync } from 'node:crypto';
import { dkimVerify } from 'mailauth';
import { describe, expect, it } from 'vitest';
import { bodyFromBuffer, streamToBuffer } from '../body.ts';
import { runChain } from '../chain.ts';
import { zoneResolver } from '../dns.ts';
import { chainOf, simpleMessage, testContext, testTx } from '../test-helpers.ts';
import type { ChainTransaction } from '../types.ts';

// DNS is the one thing stubbed here: a fixed zone serving the public keys (zoneResolver).
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');
const rsaPem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const edPem = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const rsaPub = rsa.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
// RFC 8463: the raw 32-byte Ed25519 key (the tail of the SPKI DER)
const edPub = ed.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32).toString('base64');
const chunk = (s: string) => s.match(/.{1,255}/g)!;

const resolver = zoneResolver({
  'rsa1._domainkey.example.com': { TXT: [chunk(`v=DKIM1; k=rsa; p=${rsaPub}`)] },
  'ed1._domainkey.example.com': { TXT: [[`v=DKIM1; k=ed25519; p=${edPub}`]] },
});

const signChain = (extra: Record<string, unknown> = {}) =>
  chainOf([
    {
      filter: 'dkim_sign',
      keys: [
        {
          domain: 'example.com',
          selector: 'rsa1',
          algorithm: 'rsa-sha256',
          private_key_ref: 'rsa1',
        },
        {
          domain: 'example.com',
          selector: 'ed1',
          algorithm: 'ed25519-sha256',
          private_key_ref: 'ed1',
        },
        { domain: 'other.test', selector: 'x', private_key_ref: 'rsa1' },
      ],
      ...extra,
    },
  ]);

async function signed(tx: ChainTransaction, extra?: Record<string, unknown>) {
  const ctx = testContext({ secrets: { get: (ref) => ({ ed1: edPem, rsa1: rsaPem })[ref] } });
  const res = await runChain(signChain(extra), tx, ctx);
  const raw = await streamToBuffer(tx.body!.open());
  return { res, raw, ctx };
}

describe('dkim_sign', () => {
  it('signs with RSA-2048 and Ed25519; mailauth verifies both', async () => {
    const tx = testTx({
      message: simpleMessage('alice@example.com', 'bob@example.net', 'Hej då, Bob.\r\n'),
    });
    const { raw, res } = await signed(tx);
    expect(raw.toString().match(/^DKIM-Signature:/gm)).toHaveLength(2);
    const v = await dkimVerify(raw, { resolver });
    expect(v.results.map((r) => [r.selector, r.status.result])).toEqual([
      ['rsa1', 'pass'],
      ['ed1', 'pass'],
    ]);
    expect(v.results.map((r) => /a=([\w-]+)/.exec(r.info)?.[1])).toEqual([
      'rsa-sha256',
      'ed25519-sha256',
    ]);
    expect(res.events).toMatchObject([{ type: 'dkim_signed' }]);
  });

  it('breaks when the body is altered after signing', async () => {
    const tx = testTx();
    const { raw } = await signed(tx);
    const tampered = Buffer.from(raw.toString().replace('Hello Bob.', 'Hello Eve.'));
    const v = await dkimVerify(tampered, { resolver });
    // mailauth reports a body-hash mismatch as `neutral (body hash did not verify)`
    for (const r of v.results) {
      expect(r.status.result).not.toBe('pass');
      expect(r.status.comment).toMatch(/body hash did not verify/);
    }
  });

  it('only signs for the From: domain (or below it)', async () => {
    const tx = testTx({ message: simpleMessage('alice@mail.other.test') });
    const { raw } = await signed(tx);
    expect(raw.toString()).toMatch(/^DKIM-Signature:.*d=other\.test/ms);
    expect(raw.toString().match(/^DKIM-Signature:/gm)).toHaveLength(1);
    const unsigned = testTx({ message: simpleMessage('alice@nowhere.test') });
    const { raw: raw2, res } = await signed(unsigned);
    expect(raw2.toString()).not.toMatch(/DKIM-Signature/);
    expect(res.events).toMatchObject([{ type: 'dkim_unsigned' }]);
    const required = await signed(testTx({ message: simpleMessage('alice@nowhere.test') }), {
      require_signature: true,
    });
    expect(required.res.rcpt[0]!.kind).toBe('temp');
  });

  it('never puts private keys in logs or events', async () => {
    const tx = testTx();
    const { res, ctx } = await signed(tx);
    const all = JSON.stringify(res.events) + ctx.lines.join('');
    expect(all).not.toContain('PRIVATE KEY');
    expect(all).not.toContain(rsaPem.split('\n')[1]!);
    // a broken key fails temporarily, and still does not leak
    const bad = testTx();
    const brokenKey = chainOf([
      {
        filter: 'dkim_sign',
        keys: [
          {
            domain: 'example.com',
            selector: 's',
            private_key_ref: 'broken',
          },
        ],
      },
    ]);
    const ctx2 = testContext({
      secrets: { get: () => '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' },
    });
    const res2 = await runChain(brokenKey, bad, ctx2);
    expect(res2.rcpt[0]!.kind).toBe('temp');
    expect(JSON.stringify(res2.events) + ctx2.lines.join('')).not.toContain('PRIVATE KEY');
  });

  it('signs a 2 MB body without changing it', async () => {
    const big = `${'0123456789abcdef'.repeat(64)}\r\n`.repeat(2048);
    const msg = simpleMessage('alice@example.com', 'bob@example.net', big);
    const tx = testTx({ body: bodyFromBuffer(msg) });
    const { raw } = await signed(tx);
    expect(raw.toString().endsWith(msg)).toBe(true);
    const v = await dkimVerify(raw, { resolver });
    expect(v.results.every((r) => r.status.result === 'pass')).toBe(true);
  });
});
