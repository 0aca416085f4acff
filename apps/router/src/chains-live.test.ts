import { getTransaction, listAttempts, listSandboxMessages } from '@koukan/db';
import { uniqueName } from '@koukan/db/testing';
import {
  chainRestore,
  chainSave,
  type ServiceContext,
  senderCreate,
  senderUpdate,
} from '@koukan/services';
import { makeTransaction } from '@koukan/services/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxStore } from './delivery/chain-ports.ts';
import { createChainRunner } from './engine/chain-runner.ts';
import { databaseSuite, engineFor } from './engine/testing/harness.ts';
import type { EngineHandle } from './engine/types.ts';

// A router's delivery engine started in this process, as main.ts wires it (the real chain
// runner, the database sandbox store), while the console's services change its chain.
const t = databaseSuite();
let engine: EngineHandle;
let ctx: ServiceContext;
beforeAll(async () => {
  const logger = pino({ level: 'silent' });
  ctx = { db: t.db, logger, actor: 'user:admin@example.com' };
  engine = await engineFor(
    t,
    createChainRunner({ db: t.db, context: { logger, sandbox: sandboxStore(t.db) } }),
  );
});
afterAll(() => engine?.stop());

/** Sends one message through the sender and returns where it went and which revision ran. */
async function deliverOne(senderId: string) {
  const tx = await makeTransaction(t.db, senderId);
  await expect.poll(async () => (await getTransaction(t.db, tx.id))?.status).toBe('delivered');
  const [attempt] = await listAttempts(t.db, tx.id);
  const { items } = await listSandboxMessages(t.db, {});
  const stored = items.find((m) => m.transactionId === tx.id);
  return { chain: [attempt!.chainName, attempt!.chainVersion], mailbox: stored?.mailbox };
}

describe('a saved chain reaches a running engine without a restart', () => {
  it('runs each new revision, records it on the attempt, and runs a restored one', async () => {
    const name = uniqueName('c');
    await chainSave({ ctx, input: { name, filters: [{ filter: 'sandbox', mailbox: 'one' }] } });
    const sender = await senderCreate({ ctx, input: { name: uniqueName('s') } });
    await senderUpdate({ ctx, input: { name: sender.name, patch: { output_chain: name } } });
    expect(await deliverOne(sender.id)).toEqual({ chain: [name, 1], mailbox: 'one' });

    await chainSave({
      ctx,
      input: { name, filters: [{ filter: 'sandbox', mailbox: 'two' }], comment: 'second inbox' },
    });
    await expect.poll(() => engine.config.getChain(name)?.version).toBe(2);
    expect(await deliverOne(sender.id)).toEqual({ chain: [name, 2], mailbox: 'two' });

    await chainRestore({ ctx, input: { name, version: 1 } });
    await expect.poll(() => engine.config.getChain(name)?.version).toBe(3);
    expect(await deliverOne(sender.id)).toEqual({ chain: [name, 3], mailbox: 'one' });
  });
});
