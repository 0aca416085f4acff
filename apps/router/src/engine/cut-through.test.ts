import { listAttempts, listEvents, updateSender } from '@koukan/db';
import { ensureChain, uniqueName } from '@koukan/db/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { client, MESSAGE, makeSender, routerSuite, startRouter } from '../testing/harness.ts';
import { engineFor, statusOf, testEngine } from './testing/harness.ts';
import { HttpRunner } from './testing/http-runner.ts';
import { accepted, type ReceivedRequest, startReceiver } from './testing/receiver.ts';
import { sandboxRunner } from './testing/sandbox-runner.ts';
import type { EngineHandle } from './types.ts';

// The REST API and the engine of one process, as main.ts wires them, against a real HTTP
// upstream on port 0 that answers when each test says.
let engine: EngineHandle;
const held: ReceivedRequest[] = [];
const { t, sender } = routerSuite(async (t) => {
  const receiver = await startReceiver((r) => held.push(r));
  // One slot, and a claim loop too slow to matter: what runs at once ran by cut-through.
  engine = await engineFor(t, new HttpRunner(receiver.url), {
    concurrency: 1,
    pollIntervalMs: 60_000,
  });
  const stop = async () => {
    await engine.stop();
    await receiver.close();
  };
  return { cutThrough: engine, config: engine.config, stop };
});

const envelope = { mail_from: { m: 'a@example.org' }, rcpt_to: [{ m: 'b@example.org' }] };

describe('cut-through at creation', () => {
  it('creates a deliverable transaction already in flight and starts its attempt at once', async () => {
    const { create } = await sender();
    const res = await create({ ...envelope, body: { inline: MESSAGE } });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ status: 'inflight', version: 1, attempt_count: 0 });
    const id = res.json.id as string;
    await expect.poll(() => held.length).toBe(1);
    expect(held[0]!.body.transaction_id).toBe(id);
    const [attempt] = await listAttempts(t.db, id);
    expect(attempt).toMatchObject({ number: 1, instanceId: engine.instanceId, finishedAt: null });
    expect((await listEvents(t.db, id)).map((e) => e.type)).toEqual(['created', 'attempt_started']);

    // The slot is taken: the next one is stored queued, and waits for it.
    const next = await create({ ...envelope, body: { inline: MESSAGE } });
    expect(next.json.status).toBe('queued');
    // So is one whose body is still to be uploaded, whatever the slots.
    held.shift()!.reply(accepted);
    await expect.poll(() => statusOf(t, id)).toBe('delivered');
    const upload = await create(envelope);
    expect(upload.json.status).toBe('queued');

    expect((await listAttempts(t.db, id)).map((a) => a.outcome)).toEqual(['success']);
    const events = (await listEvents(t.db, id)).map((e) => e.type);
    expect(events).toEqual([
      'created',
      'attempt_started',
      'responses',
      'attempt_finished',
      'final',
    ]);
    // The freed slot woke the claim loop (its interval is a minute): the queued one runs.
    await expect.poll(() => held.length).toBe(1);
    expect(held[0]!.body.transaction_id).toBe(next.json.id);
    held.shift()!.reply(accepted);
    await expect.poll(() => statusOf(t, next.json.id)).toBe('delivered');
  });

  it('runs the real chain on the body it was created with (held in memory, not read back)', async () => {
    const { runner, stored } = sandboxRunner(t.db);
    const own = await testEngine(t, runner, { concurrency: 4, pollIntervalMs: 60_000 });
    const api = await startRouter(t, { cutThrough: own, config: own.config });
    onTestFinished(() => api.close());
    const chain = await ensureChain(t.db, uniqueName('sbx'), [{ filter: 'sandbox' }]);
    const s = await makeSender(t.db);
    await updateSender(t.db, s.name, { output_chain: chain });
    await own.config.refresh();
    const body = `Subject: =?utf-8?q?caf=C3=A9?=\r\n\r\n${'línea 8bit\r\n'.repeat(500)}`;
    const res = await client(api.url, s.key)('POST', `/v1/senders/${s.name}/transactions`, {
      json: { ...envelope, body: { inline: body } },
    });
    expect(res.json.status).toBe('inflight');
    await expect.poll(() => statusOf(t, res.json.id)).toBe('delivered');
    expect(stored).toHaveLength(1);
    expect(stored[0]!.body.equals(Buffer.from(body, 'utf8'))).toBe(true);
  });

  it('a body upload with Prefer: wait is answered with the DATA reply of its attempt', async () => {
    const { api, create } = await sender();
    const created = await create(envelope);
    expect(created.json.status).toBe('queued');
    const put = api.put(created.json.id, MESSAGE, {
      'content-type': 'message/rfc822',
      prefer: 'wait=20',
    });
    // the upload's statement claimed it (cut-through); the answer waits for the attempt
    await expect.poll(() => held.length).toBe(1);
    expect(held[0]!.body.transaction_id).toBe(created.json.id);
    held.shift()!.reply(accepted);
    const res = await put;
    expect(res.status).toBe(200);
    expect(res.json.upload.complete).toBe(true);
    expect(res.json.transaction).toMatchObject({
      status: 'delivered',
      data_response: { code: 250 },
    });
    expect(res.headers.get('etag')).toBe(`"${res.json.transaction.version}"`);
  });
});
