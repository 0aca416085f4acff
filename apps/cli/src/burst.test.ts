import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@koukan/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smtpBurst } from './testing/smtp-burst.ts';
import { freePort, type Sink, type Stack, startSink, startStack } from './testing/stack.ts';

const SEED_KEY = 'kk_BurstTest1_CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC';
const BURST = 500;

/**
 * Issue 13 ("waiting is not work"): a burst of inbound mail must not stop the engine. The whole
 * stack (`koukan start`: router with its engine and the exploder, gateway) on a real PostgreSQL;
 * 500 SMTP sessions into the real MX end DATA at the same moment; the MX relays the benchmark
 * domain through the gateway to a real SMTP server on loopback. Every session must get its
 * DATA reply within the gateway's normal reply time (a 451 "did not answer in time" fails it)
 * and every message must be delivered; a REST message created meanwhile is delivered too.
 */
describe('a burst of inbound SMTP mail', () => {
  const dir = mkdtempSync(join(tmpdir(), 'koukan-burst-'));
  let t: TestDatabase;
  let sink: Sink;
  let stack: Stack;

  beforeAll(async () => {
    t = await createTestDatabase({ migrate: false });
    sink = await startSink();
    const gatewayPort = await freePort();
    const relay = [
      { filter: 'router', policies: [{ type: 'smarthost', smarthost: `127.0.0.1:${sink.port}` }] },
      {
        filter: 'rest_output',
        url: `http://127.0.0.1:${gatewayPort}`,
        sender: 'outbound',
        api_key_ref: 'gateway',
      },
    ];
    const config = {
      sender: [
        { name: 'smtp-mx', output_chain: 'smtp-mx' },
        { name: 'smtp-mx-output', output_chain: 'relay' },
        { name: 'submission', output_chain: 'relay' },
        { name: 'sandbox', output_chain: 'relay' },
      ],
      chain: [
        {
          name: 'smtp-mx',
          filters: [
            {
              filter: 'router',
              policies: [{ type: 'address_list', domains: ['burst.test'] }],
              reject: { code: 550, enhanced: '5.7.1', message: 'relaying denied' },
            },
            { filter: 'exploder', output_chain: 'smtp-mx-output', msa: false },
          ],
        },
        { name: 'relay', filters: relay },
      ],
    };
    const file = join(dir, 'koukan.json');
    writeFileSync(file, JSON.stringify(config));
    stack = await startStack({
      smarthost: sink.port,
      env: {
        DATABASE_URL: t.url,
        KOUKAN_CONFIG: file,
        KOUKAN_SEED_API_KEY: SEED_KEY,
        KOUKAN_COMPONENTS: 'router,gateway',
        KOUKAN_GATEWAY_PORT: String(gatewayPort),
        // One client address opens every session of the burst.
        KOUKAN_SMTP_MAX_CLIENTS_PER_IP: String(BURST + 10),
      },
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
    await t?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`answers ${BURST} sessions ending DATA together, delivers them all, and a REST message meanwhile`, async () => {
    let created: Promise<Response> | undefined;
    const { replies } = await smtpBurst({
      port: stack.ports.mx,
      sessions: BURST,
      from: 'sender@example.net',
      rcpt: (i) => `user${i}@burst.test`,
      body: (i) =>
        `Subject: burst ${i}\r\nMessage-ID: <burst-${i}@example.net>\r\n\r\n${`${'x'.repeat(76)}\r\n`.repeat(25)}`,
      // A REST message created while the burst is being answered and relayed.
      onDataEnded: () => {
        created = fetch(
          `http://127.0.0.1:${stack.ports.router}/v1/senders/submission/transactions`,
          {
            method: 'POST',
            headers: { authorization: `Bearer ${SEED_KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              mail_from: { m: 'rest@example.net' },
              rcpt_to: [{ m: 'rest@elsewhere.test' }],
              body: { inline: 'Subject: meanwhile\r\n\r\ncreated during the burst\r\n' },
            }),
          },
        );
      },
    });
    const response = await created!;
    expect(response.status, await response.clone().text()).toBe(201);
    const refused = replies.filter((r) => !r.startsWith('250'));
    expect(refused, refused.slice(0, 3).join('\n')).toEqual([]);
    // Delivered while burst mail is still on its way, not after minutes behind it.
    await expect
      .poll(() => sink.received.some((r) => r.to.includes('rest@elsewhere.test')), {
        timeout: 15_000,
      })
      .toBe(true);
    await expect
      .poll(() => sink.received.filter((r) => r.to[0]?.endsWith('@burst.test')).length, {
        timeout: 120_000,
        interval: 500,
      })
      .toBe(BURST);
    const delivered = new Set(sink.received.flatMap((r) => r.to));
    for (let i = 0; i < BURST; i++) expect(delivered.has(`user${i}@burst.test`)).toBe(true);
  }, 300_000);
});
