import { getTransaction, listAttempts } from '@koukan/db';
import { makeSender, makeTransaction } from '@koukan/services/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { databaseSuite, statusOf, testEngine } from './testing/harness.ts';
import { HttpRunner } from './testing/http-runner.ts';
import { accepted, type ReceivedRequest, startReceiver } from './testing/receiver.ts';

// Real I/O: the runner POSTs to a real HTTP server on port 0 that answers as each test says.
const t = databaseSuite();

describe('attempts over real sockets', () => {
  it('aborts an upstream that never answers at the attempt timeout and schedules a retry', async () => {
    const receiver = await startReceiver(() => {}); // never answers
    onTestFinished(() => receiver.close());
    await testEngine(t, new HttpRunner(receiver.url), { attemptTimeoutMs: 300, leaseMs: 600 });
    const s = await makeSender(t.db, { retry: { schedule: ['1m'] } });
    const tx = await makeTransaction(t.db, s.id);
    await expect.poll(() => receiver.requests.length, { timeout: 5000 }).toBeGreaterThan(0);
    const request = receiver.requests.find((r) => r.body.transaction_id === tx.id)!;
    // The engine hung up on the upstream: the socket was really closed.
    await request.clientGone;
    await expect.poll(async () => (await getTransaction(t.db, tx.id))?.attemptCount).toBe(1);
    const row = (await getTransaction(t.db, tx.id))!;
    expect(row).toMatchObject({ status: 'queued', leaseOwner: null, finalAttemptReason: null });
    const [attempt] = await listAttempts(t.db, tx.id);
    expect(attempt).toMatchObject({
      outcome: 'temp_failure',
      error: 'attempt timed out after 300 ms',
    });
    expect(attempt!.finishedAt!.getTime() - attempt!.startedAt.getTime()).toBeGreaterThanOrEqual(
      250,
    );
  });

  it('keeps renewing the lease of a slow upstream so no other replica takes it over', async () => {
    let held: ReceivedRequest | undefined;
    const receiver = await startReceiver((r) => {
      held = r; // answered below, once the lease has been renewed several times
    });
    onTestFinished(() => receiver.close());
    const options = { leaseMs: 300, attemptTimeoutMs: 30_000 };
    await testEngine(t, new HttpRunner(receiver.url, 'a'), options);
    await testEngine(t, new HttpRunner(receiver.url, 'b'), options);
    const s = await makeSender(t.db);
    const tx = await makeTransaction(t.db, s.id);
    await expect.poll(() => held?.body.transaction_id, { timeout: 5000 }).toBe(tx.id);
    const expiries = new Set<number>();
    await expect
      .poll(
        async () => {
          const row = (await getTransaction(t.db, tx.id))!;
          if (row.leaseExpiresAt) expiries.add(row.leaseExpiresAt.getTime());
          return expiries.size;
        },
        { timeout: 5000, interval: 50 },
      )
      .toBeGreaterThanOrEqual(4);
    held!.reply(accepted);
    await expect.poll(() => statusOf(t, tx.id)).toBe('delivered');
    // One attempt, one request: the other replica never claimed it while it ran for
    // several lease lengths.
    expect((await listAttempts(t.db, tx.id)).map((x) => x.outcome)).toEqual(['success']);
    expect(receiver.requests.filter((r) => r.body.transaction_id === tx.id)).toHaveLength(1);
  });
});
