import { createTestDatabase } from '@koukan/db/testing';
import { describe, expect, it } from 'vitest';
import { koukanRows, messageFootprint } from '../../../bench/floor-rows.ts';
import { mxTransport, writeRelayConfig } from '../../../bench/smtp-koukan.ts';
import { smtpBurst } from './testing/smtp-burst.ts';
import { freePort, postTransaction, stackSuite } from './testing/stack.ts';

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
  const { sink, stack, db } = stackSuite(
    async ({ sink, dir }) => {
      const gatewayPort = await freePort();
      const ports = { gateway: gatewayPort, sink: sink.port };
      return {
        KOUKAN_CONFIG: writeRelayConfig({ dir, ports, domain: 'burst.test', msa: false }),
        KOUKAN_SEED_API_KEY: SEED_KEY,
        KOUKAN_COMPONENTS: 'router,gateway',
        KOUKAN_GATEWAY_PORT: String(gatewayPort),
        // One client address opens every session of the burst.
        KOUKAN_SMTP_MAX_CLIENTS_PER_IP: String(BURST + 10),
      };
    },
    { db: true },
  );

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
        created = postTransaction(stack, SEED_KEY, {
          mail_from: { m: 'rest@example.net' },
          rcpt_to: [{ m: 'rest@elsewhere.test' }],
          body: { inline: 'Subject: meanwhile\r\n\r\ncreated during the burst\r\n' },
        });
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

  // bench:smtp's floor "Koukan's rows" (bench/floor-rows.ts) claims to write what this relay
  // keeps for a message; it is measured against Postfix, so it must not drift from the real path.
  it("leaves for one relayed message the rows bench:smtp's floor writes for it", async () => {
    const raw = 'Subject: footprint\r\nMessage-ID: <footprint@example.net>\r\n\r\nrows\r\n';
    const envelope = { from: 'sender@example.net', to: ['footprint@burst.test'] };
    await mxTransport(stack.ports.mx).sendMail({ envelope, raw });
    const downstream = async () =>
      (
        await db.pool.query<{ id: string }>(
          `select id from transactions where subject = 'footprint' and parent_id is null`,
        )
      ).rows[0]?.id;
    const final = async () => {
      const id = await downstream();
      if (!id) return false;
      const rows = await messageFootprint(db.pool, id);
      return (
        rows.length === 2 &&
        rows.every((r) => r.status === 'delivered' && r.events.includes('final'))
      );
    };
    await expect.poll(final, { timeout: 30_000 }).toBe(true);
    const koukan = await messageFootprint(db.pool, (await downstream())!);

    const floorDb = await createTestDatabase();
    try {
      const rows = await koukanRows(floorDb.pool);
      const ids = await rows.accept(envelope.from, envelope.to, Buffer.from(raw));
      await rows.done(ids);
      const floor = await messageFootprint(floorDb.pool, ids.down);
      expect(floor).toEqual(koukan);
      // what it compares: both transactions, their attempts, the whole timeline, the body
      expect(koukan.map((r) => r.sender)).toEqual(['smtp-mx', 'smtp-mx-output']);
      expect(koukan.flatMap((r) => r.events)).toHaveLength(16);
      expect(koukan[0]!.blob).toEqual({ status: 'finalized', ref_count: 2, chunks: 1 });
    } finally {
      await floorDb.destroy();
    }
  }, 60_000);
});
