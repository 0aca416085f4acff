import { uniqueName } from '@koukan/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileHarness } from '../../../testing/harness.ts';
import { type RouterProcess, startRouterProcess } from '../../../testing/router-process.ts';

/**
 * Revocation through the console reaches every running router at once: two router processes
 * on the same database remember an authenticated key for a minute (KOUKAN_AUTH_CACHE_MS), so
 * only the change notification (api_keys trigger → LISTEN → cache cleared) can make them refuse
 * it within the poll's deadline. The embedded database delivers no notification across
 * connections: there the routers keep the default 1 s cache, the documented fallback.
 */
const h = fileHarness();
let routers: RouterProcess[] = [];
beforeAll(async () => {
  const cacheMs = h.database.kind === 'postgres' ? '60000' : '1000';
  routers = await Promise.all([
    startRouterProcess(h.database.url, { KOUKAN_AUTH_CACHE_MS: cacheMs }),
    startRouterProcess(h.database.url, { KOUKAN_AUTH_CACHE_MS: cacheMs }),
  ]);
}, 300_000);
afterAll(() => Promise.all(routers.map((r) => r.stop())));

async function status(router: RouterProcess, sender: string, key: string): Promise<number> {
  const res = await fetch(`${router.url}/v1/senders/${sender}/transactions`, {
    headers: { authorization: `Bearer ${key}` },
  });
  await res.arrayBuffer();
  return res.status;
}

describe('API key revocation', () => {
  it('is refused by every running router soon after an admin revokes it in the console', async () => {
    const admin = h.caller(h.users.admin);
    const sender = uniqueName('s');
    await admin.senders.create({ name: sender });
    const { key, apiKey } = await admin.apiKeys.create({ sender });
    const other = await admin.apiKeys.create({ sender });
    // Accepted (and now remembered) by each router.
    for (const r of routers) {
      expect(await status(r, sender, key)).toBe(200);
      expect(await status(r, sender, other.key)).toBe(200);
    }

    await admin.apiKeys.revoke({ id: apiKey.id });
    for (const r of routers) {
      await expect.poll(() => status(r, sender, key), { timeout: 10_000, interval: 50 }).toBe(401);
      // The sender's other key still works.
      expect(await status(r, sender, other.key)).toBe(200);
    }
  }, 60_000);

  it('refuses a disabled sender’s keys on every router, and accepts them once enabled', async () => {
    const admin = h.caller(h.users.admin);
    const sender = uniqueName('s');
    await admin.senders.create({ name: sender });
    const { key } = await admin.apiKeys.create({ sender });
    for (const r of routers) expect(await status(r, sender, key)).toBe(200);
    await admin.senders.setEnabled({ name: sender, enabled: false });
    for (const r of routers) {
      await expect.poll(() => status(r, sender, key), { timeout: 10_000, interval: 50 }).toBe(403);
    }
    await admin.senders.setEnabled({ name: sender, enabled: true });
    for (const r of routers) {
      await expect.poll(() => status(r, sender, key), { timeout: 10_000, interval: 50 }).toBe(200);
    }
  }, 60_000);
});
