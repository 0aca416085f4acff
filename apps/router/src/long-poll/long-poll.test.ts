import { createDb, type DbHandle, TransactionWatcher } from '@koukan/db';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { databaseSuite } from '../engine/testing/harness.ts';
import { client, expectField, makeSender, type Router, startRouter } from '../testing/harness.ts';

const t = databaseSuite();
let second: DbHandle;
let a: Router;
let b: Router;
let polling: Router;
const watchers = new Map<Router, TransactionWatcher>();

/** A replica on B's pool with its own watcher, kept to see when a long-poll has registered. */
async function replica(watch: { pollIntervalMs: number; listen: boolean }): Promise<Router> {
  const watcher = new TransactionWatcher({
    pool: second.pool,
    logger: pino({ level: 'silent' }),
    ...watch,
  });
  await watcher.start();
  const r = await startRouter({ ...t, db: second.db, pool: second.pool }, { watcher });
  watchers.set(r, watcher);
  return r;
}

beforeAll(async () => {
  // Instance B has its own pool, as another replica would.
  second = createDb({ url: t.url, poolSize: 4 });
  a = await startRouter(t);
  // B polls only once a minute: within the test only a NOTIFY hint can wake it.
  b = await replica({ pollIntervalMs: 60_000, listen: true });
  // A replica that gets no NOTIFY hints at all (as on the embedded database): polling only.
  polling = await replica({ pollIntervalMs: 500, listen: false });
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close(), polling?.close()]);
  await second?.close();
});

async function setup() {
  const s = await makeSender(t.db);
  const apiA = client(a.url, s.key);
  const created = await apiA('POST', `/v1/senders/${s.name}/transactions`, {
    json: { mail_from: { m: 'a@example.org' }, rcpt_to: [{ m: 'b@example.org' }] },
  });
  expect(created.status).toBe(201);
  return { s, apiA, id: created.json.id as string, etag: created.headers.get('etag')! };
}

async function wakeAcross(waiter: Router) {
  const { s, apiA, id, etag } = await setup();
  const apiB = client(waiter.url, s.key);
  const poll = apiB.poll(id, etag, '20');
  // The long-poll is held once B's watcher has registered it.
  await expect.poll(() => watchers.get(waiter)!.waiting).toBe(1);
  let answeredAt = 0;
  const answered = poll.then((r) => {
    answeredAt = performance.now();
    return r;
  });
  const sentAt = performance.now();
  const patched = await apiA.patch(id, { heartbeat: true }, etag);
  // The change is committed when A answers; the wake-up delay is printed, not asserted.
  const committedAt = performance.now();
  expect(patched.status).toBe(200);
  const res = await answered;
  const wake = Math.max(0, answeredAt - committedAt);
  console.warn(
    `wake-up: ${wake.toFixed(0)} ms after A acknowledged the change, ${(answeredAt - sentAt).toFixed(0)} ms after the PATCH was sent`,
  );
  expect(res.status).toBe(200);
  expect(res.headers.get('etag')).toBe(patched.headers.get('etag'));
  expect(res.json.heartbeat_at).not.toBeNull();
  // No wall-clock bound: B polls once a minute and the long-poll lasts 20 s, so a 200 at all
  // proves the NOTIFY path woke it; the polling replica polls every 500 ms.
  return wake;
}

/** NOTIFY hints only cross connections on a real PostgreSQL (the embedded one delivers none). */
const notify = Boolean(process.env.DATABASE_URL);

describe('long-poll across two router instances on one database', () => {
  it.skipIf(!notify)(
    'a change made through A wakes a long-poll held on B by NOTIFY (polling off)',
    async () => {
      await wakeAcross(b);
    },
  );

  it('also without NOTIFY, by polling alone', async () => {
    await wakeAcross(polling);
  });

  it('304 when nothing changes within Request-Timeout', async () => {
    const { s, id, etag } = await setup();
    const started = performance.now();
    const res = await client(b.url, s.key).poll(id, etag, '1');
    expect(res.status).toBe(304);
    expect(res.headers.get('etag')).toBe(etag);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('answers at once for a stale ETag, or a matching one without Request-Timeout', async () => {
    const { s, id, etag } = await setup();
    const api = client(b.url, s.key);
    const stale = await api.poll(id, '"999"', '20');
    expect(stale.status).toBe(200);
    // at once = without ever waiting on the watcher (a wait would be a change to wait for)
    const wait = vi.spyOn(watchers.get(b)!, 'waitForChange');
    const same = await api('GET', `/v1/transactions/${id}`, { headers: { 'if-none-match': etag } });
    expect(same.status).toBe(304);
    expect(wait).not.toHaveBeenCalled();
    wait.mockRestore();
  });

  it('400 for a malformed Request-Timeout', async () => {
    const { s, id, etag } = await setup();
    const res = await client(b.url, s.key).poll(id, etag, 'soon');
    expectField(res, 400, 'headers.request-timeout');
  });

  it('wakes only the waiters of the transaction that changed', async () => {
    const waiter = notify ? b : polling;
    const txs = await Promise.all([setup(), setup(), setup()]);
    const polls = txs.map(({ s, id, etag }) => client(waiter.url, s.key).poll(id, etag, '2'));
    await expect.poll(() => watchers.get(waiter)!.waiting).toBe(3);
    const first = txs[0]!;
    await first.apiA('POST', `/v1/transactions/${first.id}/cancel`);
    const results = await Promise.all(polls);
    expect(results.map((r) => r.status)).toEqual([200, 304, 304]);
    expect(results[0]!.json.status).toBe('cancelled');
  });

  it('closing the app answers pending long-polls promptly', async () => {
    const extra = await replica({ pollIntervalMs: 60_000, listen: true });
    const { s, id, etag } = await setup();
    const poll = client(extra.url, s.key).poll(id, etag, '30');
    await expect.poll(() => watchers.get(extra)!.waiting).toBe(1);
    // close waits for in-flight requests: it returns within this test's 20 s only because the
    // 30 s long-poll was answered at once
    await extra.close();
    const res = await poll;
    expect(res.status).toBe(304);
  }, 20_000);
});
