import { generateKeyPairSync } from 'node:crypto';
import { type ChainContext, zoneResolver } from '@koukan/chain';
import { createApiKey, getSenderByName, readBlobStream, schema } from '@koukan/db';
import { importConfig } from '@koukan/db/config';
import { createTestDatabase, type TestDatabase } from '@koukan/db/testing';
import { and, eq } from 'drizzle-orm';
import { dkimSign } from 'mailauth';
import nodemailer from 'nodemailer';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RouterClient } from '../../gateway/src/router-client.ts';
import { SmtpListener } from '../../gateway/src/smtp/listener.ts';
import { listenerConfig, testTls } from '../../gateway/src/testing/inbound.ts';
import { buildApp } from '../../router/src/app.ts';
import { type Wired, wireEngine } from '../../router/src/wire.ts';
import { defaultConfig } from './config/default-config.ts';

/**
 * Issue 13 item 4: MX mail through the real gateway (MX listener) and the real router (API,
 * engine, exploder, the default `smtp-mx` → `smtp-mx-output` chains, which end in the sandbox)
 * carries a correct `Received:` and `Authentication-Results:` header built from the session
 * facts the gateway reported with its own key. DNS is mocked: the chain context gets an injected
 * zone resolver (SPF, DKIM and DMARC records of example.com) — the only stand-in here.
 */
const silent = pino({ level: 'silent' });
const dkim = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicKey = dkim.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const dns = zoneResolver({
  'example.com': { TXT: [['v=spf1 ip4:127.0.0.1 -all']] },
  '_dmarc.example.com': { TXT: [['v=DMARC1; p=reject']] },
  'sel._domainkey.example.com': {
    TXT: [publicKey.match(/.{1,255}/g)!.map((s, i) => (i === 0 ? `v=DKIM1; k=rsa; p=${s}` : s))],
  },
});

let t: TestDatabase;
let wired: Wired | undefined;
let app: Awaited<ReturnType<typeof buildApp>>;
let mx: SmtpListener;
let port: number;

beforeAll(async () => {
  t = await createTestDatabase();
  await importConfig(t.db, defaultConfig({ gatewayUrl: 'http://127.0.0.1:9' }), { actor: 'test' });
  const sender = await getSenderByName(t.db, 'smtp-mx');
  const { key } = await createApiKey(t.db, { senderId: sender!.id, gateway: true });
  const context: ChainContext = { logger: silent, dns, hostname: 'mx.koukan.test' };
  // As the router's main.ts wires it: one change watcher, cut-through start and park.
  wired = await wireEngine({
    db: t.db,
    pool: t.pool,
    logger: silent,
    dsn: { reportingMta: 'mx.koukan.test' },
    context,
    engine: { retention: false },
  });
  app = await buildApp({ db: t.db, pool: t.pool, logLevel: 'silent', ...wired.app });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const routerPort = (app.server.address() as { port: number }).port;
  mx = new SmtpListener(listenerConfig({ sender: 'smtp-mx', apiKey: key, greetPauseMs: 0 }), {
    router: new RouterClient({ baseUrl: `http://127.0.0.1:${routerPort}` }),
    logger: silent,
    tls: await testTls(),
  });
  port = await mx.listen();
}, 60_000);

afterAll(async () => {
  await mx?.close(100);
  await wired?.engine?.stop();
  await app?.close();
  await wired?.watcher.stop();
  await t?.destroy();
});

/** The message the sandbox stored for the MX transaction of `from`. */
async function sandboxed(from: string): Promise<string | undefined> {
  const tx = schema.transactions;
  const rows = await t.db
    .select({ data: schema.events.data })
    .from(schema.events)
    .innerJoin(tx, eq(tx.id, schema.events.transactionId))
    .where(and(eq(schema.events.type, 'sandbox_stored'), eq(tx.mailFrom, { m: from })));
  const blobId = rows[0]?.data.blob_id as string | undefined;
  if (!blobId) return undefined;
  const chunks: Buffer[] = [];
  for await (const c of readBlobStream(t.db, blobId)) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

describe('MX mail through the real gateway and router', () => {
  it('carries a correct Received and Authentication-Results header (SPF, DKIM, DMARC, ARC)', async () => {
    const message = [
      'From: Alice <alice@example.com>',
      'To: postmaster@localhost',
      'Subject: trace headers',
      'Message-ID: <trace-1@example.com>',
      '',
      'Hello.',
      '',
    ].join('\r\n');
    const signatureData = [
      {
        signingDomain: 'example.com',
        selector: 'sel',
        privateKey: dkim.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
    ];
    // mailauth 4.13 signs with `signatureData`; its typings only know the single-key form
    const signed = await dkimSign(message, { signatureData } as unknown as Parameters<
      typeof dkimSign
    >[1]);
    const client = nodemailer.createTransport({
      host: '127.0.0.1',
      port,
      ignoreTLS: true,
      name: 'client.example.com',
    });
    const info = await client.sendMail({
      envelope: { from: 'alice@example.com', to: ['postmaster@localhost'] },
      raw: signed.signatures + message,
    });
    expect(info.response).toMatch(/^250 /);
    await expect.poll(() => sandboxed('alice@example.com'), { timeout: 30_000 }).toBeDefined();
    const stored = (await sandboxed('alice@example.com'))!;
    const header = (name: string) =>
      new RegExp(`^${name}:[^\\r\\n]*(?:\\r\\n[ \\t][^\\r\\n]*)*`, 'mi').exec(stored)?.[0];
    const received = header('Received');
    expect(received).toMatch(
      /^Received: from client\.example\.com \(\[127\.0\.0\.1\]\)\r\n\tby mx\.koukan\.test \(Koukan\) with ESMTP\r\n\tid [0-9a-f-]{36}\r\n\tfor <postmaster@localhost>; \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000$/,
    );
    const results = header('Authentication-Results')?.replace(/\r\n[ \t]+/g, ' ');
    expect(results).toMatch(/^Authentication-Results: mx\.koukan\.test;/);
    expect(results).toMatch(/ spf=pass [^;]*smtp\.mailfrom=alice@example\.com/);
    expect(results).toMatch(/smtp\.helo=client\.example\.com/);
    expect(results).toMatch(/ dkim=pass header\.i=@example\.com header\.s=sel /);
    expect(results).toMatch(/ dmarc=pass [^;]*header\.from=example\.com/);
    expect(results).toMatch(/\(p=REJECT arc=none\)/);
    // the body the client sent follows the trace headers unchanged
    expect(stored.endsWith(signed.signatures + message)).toBe(true);
  }, 60_000);
});
