import { uniqueName } from '@koukan/db/testing';
import { apiKeyCreate, senderCreate } from '@koukan/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileHarness, silent } from '../../../testing/harness.ts';
import { type RouterProcess, startRouterProcess } from '../../../testing/router-process.ts';

/**
 * Live reload through the console: a real router process (apps/router, started here on its own
 * port 0) and this test's tRPC caller share one database. A chain saved in the console reaches
 * the running router without a restart, and each transaction records the revision that ran.
 * (apps/router/src/chains-live.test.ts covers the engine in-process through the services.)
 */
const h = fileHarness();
let router: RouterProcess;
let base = '';

beforeAll(async () => {
  router = await startRouterProcess(h.database.url, {
    KOUKAN_ENGINE: 'true',
    KOUKAN_HOSTNAME: 'router.test',
  });
  base = router.url;
}, 300_000);

afterAll(() => router?.stop());

interface Status {
  status: string;
  rcpt_response: ({ code: number; message: string } | null)[];
}

/** Submits one message over REST and long-polls until its recipient has its final answer. */
async function submit(
  sender: string,
  key: string,
  rcpt: string,
): Promise<{ id: string; final: Status }> {
  const res = await fetch(`${base}/v1/senders/${sender}/transactions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      mail_from: { m: 'alice@example.com' },
      rcpt_to: [{ m: rcpt }],
      body: { inline: 'From: alice@example.com\r\nSubject: live\r\n\r\nhello\r\n' },
    }),
  });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  let etag = '';
  for (;;) {
    const r = await fetch(`${base}/v1/transactions/${id}`, {
      headers: {
        authorization: `Bearer ${key}`,
        ...(etag && { 'if-none-match': etag, 'request-timeout': '10' }),
      },
    });
    if (r.status === 200) {
      etag = r.headers.get('etag') ?? '';
      const body = (await r.json()) as Status;
      if (['delivered', 'failed'].includes(body.status)) return { id, final: body };
    } else {
      expect(r.status).toBe(304);
    }
  }
}

describe('a chain saved in the console reaches a running router without a restart', () => {
  it('refuses the next REST submission after a policy rejection is saved, and records the revision', async () => {
    await expect
      .poll(async () => (await fetch(`${base}/readyz`).catch(() => null))?.status, {
        timeout: 120_000,
      })
      .toBe(200);
    const admin = h.caller(h.users.admin);
    const chain = uniqueName('live');
    const sandbox = { filter: 'sandbox', mailbox: 'live' };
    await admin.chains.save({
      name: chain,
      filters: [sandbox],
      comment: 'start',
      expected_version: 0,
    });
    const ctx = { db: h.database.db, logger: silent, actor: 'test' };
    const sender = uniqueName('s');
    await senderCreate({ ctx, input: { name: sender, output_chain: chain } });
    const { key } = await apiKeyCreate({ ctx, input: { sender, name: 'live' } });

    const first = await submit(sender, key, 'bob@blocked.example');
    expect(first.final.status).toBe('delivered');

    await admin.chains.save({
      name: chain,
      filters: [
        {
          filter: 'policy',
          rules: [
            {
              match: { rcpt_domain: ['blocked.example'] },
              action: 'reject',
              response: { code: 550, enhanced: '5.7.1', message: 'blocked in the console' },
            },
          ],
        },
        sandbox,
      ],
      comment: 'block blocked.example',
      expected_version: 1,
    });
    // The router reloads its configuration on its own (NOTIFY, else its poll): submissions
    // are refused from then on, with no restart. Each poll is one real submission.
    let refused: { id: string; final: Status } | undefined;
    await expect
      .poll(
        async () => {
          const r = await submit(sender, key, 'bob@blocked.example');
          if (r.final.status === 'failed') refused = r;
          return r.final.status;
        },
        { timeout: 60_000, interval: 200 },
      )
      .toBe('failed');
    expect(refused!.final.rcpt_response[0]).toMatchObject({ code: 550 });
    expect(refused!.final.rcpt_response[0]!.message).toMatch(/blocked in the console/);
    expect(router.child.exitCode).toBeNull();

    // Each transaction records the revision that handled it, as the console's timeline shows.
    const viewer = h.caller(h.users.viewer);
    const before = await viewer.transactions.detail({ id: first.id });
    expect(before.chain).toMatchObject({ name: chain, version: 1, revision_source: 'recorded' });
    const after = await viewer.transactions.detail({ id: refused!.id });
    expect(after.chain).toMatchObject({ name: chain, version: 2, revision_source: 'recorded' });
    expect(after.chain.filters.map((f) => f.filter)).toEqual(['policy', 'sandbox']);

    // Restoring revision 1 in the console lets mail through again, as revision 3.
    await admin.chains.restore({ name: chain, version: 1, expected_version: 2 });
    let again: { id: string; final: Status } | undefined;
    await expect
      .poll(
        async () => {
          again = await submit(sender, key, 'bob@blocked.example');
          return again.final.status;
        },
        { timeout: 60_000, interval: 200 },
      )
      .toBe('delivered');
    const restored = await viewer.transactions.detail({ id: again!.id });
    expect(restored.chain).toMatchObject({ name: chain, version: 3, revision_source: 'recorded' });
  });
});
