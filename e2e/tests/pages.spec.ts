import { screenshot, seriousViolations } from '../src/a11y.ts';
import { expect, test, uid } from '../src/fixtures.ts';

/**
 * Flow 4: every main page, signed in as the admin (who sees them all), in both themes: a
 * screenshot kept as an artifact, and an axe-core scan with no serious or critical violation.
 */
const pages: { name: string; path: string | (() => string); heading: string | RegExp }[] = [
  { name: 'dashboard', path: '/', heading: 'Dashboard' },
  { name: 'transactions', path: '/transactions', heading: 'Transactions' },
  { name: 'transaction', path: () => transactionPath, heading: /@example\.org/ },
  { name: 'queues', path: '/queues', heading: 'Retry queues' },
  { name: 'users', path: '/users', heading: 'Users' },
  { name: 'domains', path: '/domains', heading: 'Domains' },
  { name: 'sandbox', path: '/sandbox', heading: 'Sandbox' },
  { name: 'audit', path: '/audit', heading: 'Audit log' },
  { name: 'senders', path: '/senders', heading: 'Senders' },
  { name: 'sender', path: '/senders/submission', heading: 'Sender submission' },
  { name: 'chains', path: '/chains', heading: 'Chains' },
  { name: 'chain', path: '/chains/submission', heading: 'Chain submission' },
  {
    name: 'chain-revisions',
    path: '/chains/submission/revisions',
    heading: 'Revision history of submission',
  },
  { name: 'configuration', path: '/settings/config', heading: 'Configuration' },
];
let transactionPath = '';

test.describe('main pages: screenshots and accessibility', () => {
  test.beforeAll(async ({ api }) => {
    const to = `${uid('pages')}@example.org`;
    const created = await api.send({ from: 'alice@example.com', to: [to], subject: 'pages' });
    expect(created.status).toBe(201);
    transactionPath = `/transactions/${created.body.id}`;
    // and one kept in the sandbox inbox, for the sandbox page
    const kept = await api.send(
      { from: 'alice@example.com', to: [`${uid('kept')}@example.org`], subject: 'pages sandbox' },
      { sender: 'sandbox' },
    );
    expect(kept.status).toBe(201);
    for (const id of [created.body.id, kept.body.id]) {
      await expect.poll(async () => (await api.get(id)).status).toBe('delivered');
    }
  });

  test('sign-in page', async ({ page }, testInfo) => {
    await page.goto('/sign-in');
    await expect(page.getByRole('heading', { level: 1, name: 'Koukan console' })).toBeVisible();
    await screenshot(page, testInfo, 'sign-in');
    expect(await seriousViolations(page, testInfo)).toEqual([]);
  });

  for (const p of pages) {
    for (const theme of ['light', 'dark'] as const) {
      test(`${p.name} (${theme})`, async ({ adminPage: page }, testInfo) => {
        await page.emulateMedia({ colorScheme: theme });
        await page.goto(typeof p.path === 'string' ? p.path : p.path());
        await expect(page.getByRole('heading', { level: 1, name: p.heading })).toBeVisible();
        // wait for the data: no loading placeholder left
        await expect(page.getByRole('status', { name: /^Loading/ })).toHaveCount(0);
        await screenshot(page, testInfo, `${p.name}-${theme}`);
        expect(await seriousViolations(page, testInfo)).toEqual([]);
      });
    }
  }
});
