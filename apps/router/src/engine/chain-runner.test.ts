import { Readable } from 'node:stream';
import { accept, temp } from '@koukan/chain';
import {
  createBlob,
  finalizeBlob,
  getTransaction,
  insertTransaction,
  listEvents,
  writeBlobStream,
} from '@koukan/db';
import { ensureChain } from '@koukan/db/testing';
import { makeSender, makeTransaction, SAMPLE_MESSAGE } from '@koukan/services/testing';
import { describe, expect, it } from 'vitest';
import { createChainRunner } from './chain-runner.ts';
import { databaseSuite, silent, statusOf, testEngine } from './testing/harness.ts';
import { sandboxRunner } from './testing/sandbox-runner.ts';

// The real filter chain library end to end; only the sandbox store (a port the host supplies)
// is an in-memory one here.
const t = databaseSuite();

describe('chain runner', () => {
  it('runs the sender output chain with the stored body and records its verdicts', async () => {
    const { runner, stored } = sandboxRunner(t.db);
    await testEngine(t, runner);
    const ok = await ensureChain(t.db, 'sbx-ok', [{ filter: 'sandbox' }]);
    const reject = await ensureChain(t.db, 'sbx-reject', [
      { filter: 'sandbox', response: { code: 554, enhanced: '5.7.1', message: 'refused' } },
    ]);
    const good = await makeTransaction(t.db, (await makeSender(t.db, { output_chain: ok })).id);
    const bad = await makeTransaction(t.db, (await makeSender(t.db, { output_chain: reject })).id);
    await expect.poll(() => statusOf(t, good.id), { timeout: 5000 }).toBe('delivered');
    await expect.poll(() => statusOf(t, bad.id), { timeout: 5000 }).toBe('failed');
    expect(stored.find((m) => m.transaction_id === good.id)?.body.toString()).toBe(SAMPLE_MESSAGE);
    expect((await getTransaction(t.db, good.id))!.dataResponse).toEqual({
      code: 250,
      enhanced: '2.0.0',
      message: 'accepted into the sandbox (not delivered)',
    });
    expect((await listEvents(t.db, good.id)).map((e) => e.type)).toContain('sandboxed');
    expect(await getTransaction(t.db, bad.id)).toMatchObject({
      finalAttemptReason: 'upstream_permanent_failure_data',
      dataResponse: { code: 554, enhanced: '5.7.1', message: 'refused' },
    });
  });

  it('builds a message-builder body with its uploaded parts read from their blobs', async () => {
    const { runner, stored } = sandboxRunner(t.db);
    await testEngine(t, runner);
    const chain = await ensureChain(t.db, 'builder-sbx', [
      { filter: 'message_builder' },
      { filter: 'sandbox' },
    ]);
    const s = await makeSender(t.db, { output_chain: chain });
    const part = await createBlob(t.db, { senderId: s.id });
    await writeBlobStream(t.db, part.id, Readable.from([Buffer.from('attached bytes')]), {
      offset: 0,
    });
    await finalizeBlob(t.db, part.id);
    const tx = await insertTransaction(t.db, {
      senderId: s.id,
      mailFrom: { m: 'alice@example.com' },
      rcptTo: [{ m: 'bob@example.net' }],
      nextAttemptAt: new Date(Date.now() - 1000),
      bodySpec: {
        message_builder: {
          from: [{ address: 'alice@example.com' }],
          to: [{ address: 'bob@example.net' }],
          subject: 'Built',
          text: { content: { inline: 'hello from the builder' } },
          attachments: [
            { filename: 'notes.txt', content_type: 'text/plain', content: { create_id: 'a1' } },
          ],
        },
        blobs: [{ path: 'attachments[0].content', create_id: 'a1', blob_id: part.id }],
      },
    });
    await expect.poll(() => statusOf(t, tx.id), { timeout: 5000 }).toBe('delivered');
    const message = stored.at(-1)!.body.toString();
    expect(message).toContain('Subject: Built');
    expect(message).toContain('hello from the builder');
    expect(message).toContain('notes.txt');
    expect(
      message.includes('attached bytes') ||
        message.includes(Buffer.from('attached bytes').toString('base64')),
    ).toBe(true);
  });

  it("gives each run its attempt's journal: written at once, the earlier attempts' readable", async () => {
    const seen: { number: number; previous: string[] | undefined; midRun: string[] }[] = [];
    const runner = createChainRunner({
      db: t.db,
      context: { logger: silent },
      implementations: {
        // the host's exploder slot, used here as a probe of the chain context
        exploder: async (tx, _config, ctx) => {
          const journal = ctx.attempt!;
          // attempt 2 records nothing (as one that died early): attempt 3 still sees attempt 1's
          if (journal.attemptNumber !== 2) {
            await journal.record('probe', { number: journal.attemptNumber });
          }
          const midRun = (await listEvents(t.db, tx.id)).map((e) => e.type);
          const previous = (await journal.previous())?.map((e) => `${e.type}:${e.data.number}`);
          seen.push({ number: journal.attemptNumber, previous, midRun });
          return journal.attemptNumber < 3
            ? { kind: 'done', data: temp('try again', 451, '4.3.0') }
            : { kind: 'done', data: accept() };
        },
      },
    });
    await testEngine(t, runner);
    const chain = await ensureChain(t.db, 'journal-probe', [
      { filter: 'exploder', output_chain: 'journal-probe', msa: false },
    ]);
    const s = await makeSender(t.db, { output_chain: chain, retry: { schedule: ['0s'] } });
    const tx = await makeTransaction(t.db, s.id);
    await expect.poll(() => statusOf(t, tx.id), { timeout: 10_000 }).toBe('delivered');
    expect(seen.map((x) => x.number)).toEqual([1, 2, 3]);
    // written before the attempt's outcome, with this attempt's id
    expect(seen[0]!.midRun).toContain('probe');
    expect(seen[0]!.previous).toBeUndefined();
    expect(seen[1]!.previous).toContain('probe:1');
    expect(seen[2]!.previous).toContain('probe:1');
    expect(seen[2]!.previous).not.toContain('probe:3');
  });
});
