import { createTestDatabase } from '@koukan/db/testing';
import { protocolContract } from '@koukan/protocol/contract';
import { FakeServer } from '@koukan/protocol/testing';
import { GATEWAY_TOKEN, startOutbound } from '../../gateway/src/testing/outbound.ts';
import { Sink } from '../../gateway/src/testing/sink.ts';
import { makeSender, startRouter } from '../../router/src/testing/harness.ts';

/**
 * One contract, three implementations of the transaction protocol: the router's API (real
 * PostgreSQL), the gateway's outbound API (delivering to a real SMTP sink), and the one fake
 * that stands in for them in the gateway's and the chain's tests.
 */
const envelope = () => ({ mail_from: { m: 'a@example.org' }, rcpt_to: [{ m: 'b@example.org' }] });

protocolContract('the router', async () => {
  const db = await createTestDatabase();
  const router = await startRouter(db);
  const sender = await makeSender(db.db);
  return {
    url: router.url,
    sender: sender.name,
    apiKey: sender.key,
    envelope,
    async close() {
      await router.close();
      await db.destroy();
    },
  };
});

protocolContract("the gateway's outbound API", async () => {
  const sink = await new Sink().start();
  const gateway = await startOutbound();
  return {
    url: gateway.url,
    sender: 'contract',
    apiKey: GATEWAY_TOKEN,
    envelope: () => ({ ...envelope(), remote_hosts: [{ host: '127.0.0.1', port: sink.port }] }),
    async close() {
      await gateway.stop();
      await sink.close();
    },
  };
});

protocolContract('the fake (@koukan/protocol/testing)', async () => {
  const fake = await new FakeServer().addKey('contract', 'fake-key').start();
  return {
    url: fake.url,
    sender: 'contract',
    apiKey: 'fake-key',
    envelope,
    close: () => fake.close(),
  };
});
