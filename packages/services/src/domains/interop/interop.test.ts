import { randomBytes, randomInt } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import {
  bodyFromBuffer,
  type ChainTransaction,
  runChain,
  streamToBuffer,
  validateChain,
} from '@koukan/chain';
import { dkimVerify } from 'mailauth';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretKeyFromBytes } from '../../secrets/cipher.ts';
import { useTestDatabase } from '../../testing/database.ts';
import { type LocalDns, startLocalDns } from '../../testing/dns-server.ts';
import { addDomain } from '../add-domain.ts';
import { createDkimKeyStore } from '../signing-keys.ts';
import { dkimpyAvailable, dkimpyVerify, opendkimAvailable, opendkimVerify } from './verifiers.ts';

// Messages signed by Koukan (dkim_sign with the sending domain's keys from the database) are
// verified by three independent implementations: mailauth, dkimpy (Debian's python3-dkim) and
// OpenDKIM (opendkim-testmsg). The public keys are served by a DNS server on loopback, because
// these machines cannot reach the internet. CI installs the verifiers and sets
// KOUKAN_REQUIRE_DKIM_VERIFIERS: there a missing one fails; elsewhere its tests are skipped.
const required = Boolean(process.env.KOUKAN_REQUIRE_DKIM_VERIFIERS);
const [hasDkimpy, hasOpendkim] = await Promise.all([dkimpyAvailable(), opendkimAvailable()]);
for (const [name, ok] of [
  ['python3-dkim (/usr/bin/python3 with dkim, dns, nacl)', hasDkimpy],
  ['opendkim-testmsg (with unshare -m, as root)', hasOpendkim],
] as const) {
  if (!ok && !required)
    process.stderr.write(
      `NOTICE: ${name} is missing: its DKIM interoperability tests are skipped\n`,
    );
}

let dns: LocalDns;
const resolver = new Resolver({ timeout: 2000, tries: 1 });
const key = secretKeyFromBytes(randomBytes(32));
const { t, ctx } = useTestDatabase('system:test', { secretKey: key });

beforeAll(async () => {
  // OpenDKIM asks port 53 of the address in /etc/resolv.conf: a loopback address of our own
  // (root can bind port 53); without that, any port (and the OpenDKIM tests are skipped).
  const host = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
  dns = await startLocalDns({ host, port: 53 }).catch(() => startLocalDns());
  resolver.setServers([dns.address]);
  for (const name of ['example.com', 'bounces.example.org']) {
    const view = await addDomain({ ctx, input: { name } });
    for (const r of view.records) dns.publish(r.name, r.value);
  }
});
afterAll(() => dns?.close());

const mailauthResolver = (n: string, t: string) => resolver.resolve(n, t) as Promise<string[][]>;

/** Runs `chain` on `tx` with the database's DKIM keys, decrypted with `secretKey`. */
const sign = async (tx: ChainTransaction, chain: unknown[], secretKey = key) => {
  const v = validateChain(chain);
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  const dkimKeys = createDkimKeyStore({ db: t.db, key: secretKey });
  const res = await runChain(v.chain, tx, { logger: pino({ level: 'silent' }), dkimKeys });
  const raw = res.tx.body ? await streamToBuffer(res.tx.body.open()) : undefined;
  return { res, raw };
};

const builderTx = (): ChainTransaction => ({
  id: 'builder',
  sender: 'submission',
  mail_from: { m: 'app@example.com' },
  rcpt_to: [{ m: 'bob@example.net' }],
  message_builder: {
    from: [{ address: 'app@example.com', name: 'Åsa Öberg' }],
    to: [{ address: 'bob@example.net', name: 'Bob' }],
    subject: 'Grüße aus Köln — the quarterly report',
    date: '2026-11-30T10:00:00+01:00',
    message_id: 'q4-report@example.com',
    text: { content: { inline: 'Grüße, Bob.\nThe numbers are in: ½ € up.\n' } },
    html: { content: { inline: '<p>Grüße, <b>Bob</b>.</p>' } },
    attachments: [
      {
        filename: 'report.bin',
        content_type: 'application/octet-stream',
        content: { inline: randomBytes(3000).toString('base64'), encoding: 'base64' },
      },
    ],
  },
});

const RAW = [
  'From: "Asa Oberg" <asa@example.com>',
  'To: bob@example.net,',
  '  carol@example.net,',
  '\tdave@example.net',
  'Subject: A long subject line that the sender',
  ' folded over two lines',
  '\tand a third one',
  'Date: Mon, 30 Nov 2026 10:00:00 +0100',
  'Message-ID: <raw-8bit@example.com>',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: 8bit',
  'X-Spaced:   odd    spacing   ',
  '   continued   ',
  '',
  'Grüße aus Köln — ½ € in 8-bit, not encoded.   ',
  'A line with trailing tabs\t\t',
  '',
  '',
  '',
].join('\r\n');

const rawTx = (): ChainTransaction => ({
  id: 'raw',
  sender: 'smtp-msa-output',
  mail_from: { m: 'asa@example.com' },
  rcpt_to: [{ m: 'bob@example.net' }],
  body: bodyFromBuffer(Buffer.from(RAW, 'utf8')),
});

/** The message with only its `keep`-th DKIM-Signature (to verify one algorithm at a time). */
function onlySignature(raw: Buffer, keep: number): Buffer {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const fields = text.slice(0, end + 2).split(/\r\n(?=[^ \t])/);
  let n = 0;
  const kept = fields.filter((f) => !/^dkim-signature:/i.test(f) || n++ === keep);
  return Buffer.from(kept.join('\r\n') + text.slice(end + 2), 'latin1');
}
/** The body changed after signing (one more line). */
const tamper = (raw: Buffer) => Buffer.concat([raw, Buffer.from('tampered\r\n')]);

const messages = {
  'a message-builder message': async () =>
    (await sign(builderTx(), [{ filter: 'message_builder' }, { filter: 'dkim_sign' }])).raw!,
  'a raw RFC 822 body with folded headers and 8-bit content': async () =>
    (await sign(rawTx(), [{ filter: 'dkim_sign' }])).raw!,
};

describe.each(Object.entries(messages))('DKIM interoperability: %s', (_label, make) => {
  let raw: Buffer;
  beforeAll(async () => {
    raw = await make();
  });

  it('carries an RSA and an Ed25519 signature of the From: domain; mailauth verifies both', async () => {
    const v = await dkimVerify(raw, { resolver: mailauthResolver });
    expect(v.results.map((r) => [r.signingDomain, r.selector, r.status.result])).toEqual(
      [
        ['example.com', 'k2026a', 'pass'],
        ['example.com', 'e2026a', 'pass'],
      ].map(([d, s, res]) => [d, s!.replace('2026', String(new Date().getUTCFullYear())), res]),
    );
    const bad = await dkimVerify(tamper(raw), {
      resolver: mailauthResolver,
    });
    expect(bad.results.map((r) => r.status.result)).not.toContain('pass');
  });

  it.skipIf(!hasDkimpy && !required)('dkimpy (python3-dkim) verifies both signatures', async () => {
    const results = await dkimpyVerify(raw, dns);
    expect(results.map((r) => [r.d, r.a, r.ok])).toEqual([
      ['example.com', 'rsa-sha256', true],
      ['example.com', 'ed25519-sha256', true],
    ]);
    const bad = await dkimpyVerify(tamper(raw), dns);
    expect(bad.map((r) => r.ok)).toEqual([false, false]);
  });

  it.skipIf(!hasOpendkim && !required)('opendkim-testmsg verifies each signature', async () => {
    expect(dns.port, 'OpenDKIM needs the DNS server on port 53').toBe(53);
    for (const i of [0, 1]) {
      const one = onlySignature(raw, i);
      expect(one.toString('latin1').match(/^DKIM-Signature:/gim)).toHaveLength(1);
      expect(await opendkimVerify(one, dns.host)).toEqual({ ok: true, output: '' });
      expect((await opendkimVerify(tamper(one), dns.host)).ok).toBe(false);
    }
  });
});

describe('signing follows the domain', () => {
  it("also signs with the envelope sender's domain when it differs and is ours", async () => {
    const tx = { ...rawTx(), mail_from: { m: 'bounce+123@bounces.example.org' } };
    const { raw, res } = await sign(tx, [{ filter: 'dkim_sign' }]);
    const v = await dkimVerify(raw!, {
      resolver: mailauthResolver,
    });
    expect(v.results.map((r) => [r.signingDomain, r.status.result])).toEqual([
      ['example.com', 'pass'],
      ['example.com', 'pass'],
      ['bounces.example.org', 'pass'],
      ['bounces.example.org', 'pass'],
    ]);
    expect(res.events.map((e) => e.type)).toEqual(['dkim_signed']);
  });

  it('sends a message of a domain without keys unsigned, and says so in its timeline', async () => {
    const tx = { ...rawTx(), mail_from: { m: 'x@elsewhere.test' } };
    const body = RAW.replace('<asa@example.com>', '<asa@elsewhere.test>');
    tx.body = bodyFromBuffer(Buffer.from(body, 'utf8'));
    const { raw, res } = await sign(tx, [{ filter: 'dkim_sign' }]);
    expect(raw!.toString('utf8')).toBe(body);
    expect(res.events.map((e) => [e.type, e.data])).toEqual([
      [
        'dkim_from_domain_unsigned',
        { from_domain: 'elsewhere.test', reason: 'not a sending domain of this Koukan' },
      ],
      ['dkim_unsigned', { from_domain: 'elsewhere.test' }],
    ]);
  });

  it('defers (451) instead of sending unsigned when the keys cannot be decrypted', async () => {
    const wrongKey = secretKeyFromBytes(randomBytes(32));
    const { res } = await sign(rawTx(), [{ filter: 'dkim_sign' }], wrongKey);
    expect(res.rcpt[0]).toMatchObject({ kind: 'temp', response: { code: 451, enhanced: '4.3.0' } });
    expect(res.events.map((e) => e.type)).toEqual(['dkim_key_unavailable']);
    expect(JSON.stringify(res.events)).toContain('encrypted with secrets key');
  });
});
