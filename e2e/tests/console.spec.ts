import { inviteUser, openTransactionByRecipient, pageAs } from '../src/console.ts';
import { expect, signIn, submitSignIn, test, uid } from '../src/fixtures.ts';

/** Flow 2: the console in a real browser, over mail that really went through the stack. */
test.describe('console', () => {
  test('sign in, find a message by recipient, its timeline shows the sink’s SMTP reply', async ({
    page,
    stack,
    api,
    harness,
  }) => {
    const to = `${uid('find')}@example.org`;
    const created = await api.send({ from: 'alice@example.com', to: [to], subject: uid('find') });
    expect(created.status).toBe(201);
    await expect.poll(async () => (await api.get(created.body.id)).status).toBe('delivered');
    const delivered = (await harness.sinkMessages()).find((m) => m.to.includes(to))!;

    await signIn(page, stack.admin.email, stack.admin.password);
    await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
    await openTransactionByRecipient(page, to);
    await expect(page).toHaveURL(new RegExp(`/transactions/${created.body.id}$`));
    // the sink's own words, as the gateway heard them: "250 e2e-sink queued as <id>"
    await expect(page.getByText(`250 ${delivered.reply}`).first()).toBeVisible();
    // rest_output's upstream (the gateway's transaction) is told in words, not as raw JSON
    const timeline = page.getByRole('list', { name: 'Delivery timeline' });
    await expect(timeline.getByText('Upstream transaction').first()).toBeVisible();
    await expect(timeline).not.toContainText('{"');
  });

  test('a wrong password is refused', async ({ page, stack }) => {
    expect(await submitSignIn(page, stack.admin.email, 'not-the-password')).toBe(401);
    await expect(page.getByText('The email or password is wrong.')).toBeVisible();
    await expect(page).toHaveURL(/\/sign-in/);
  });

  test('a viewer sees no edit controls, and the API refuses the viewer too', async ({
    adminPage: page,
    browser,
    stack,
    api,
    harness,
  }) => {
    // a message waiting for its next attempt: the sink defers its recipient
    const to = `${uid('viewer')}@example.org`;
    await harness.setRule(to, 'defer');
    const created = await api.send({ from: 'alice@example.com', to: [to], subject: uid('held') });
    await expect
      .poll(async () => {
        const t = await api.get(created.body.id);
        return t.status === 'queued' && t.rcpt_response[0]?.code;
      })
      .toBe(451);

    const email = `${uid('viewer')}@e2e.localhost`;
    const password = await inviteUser(page, { email, name: 'E2E Viewer', role: 'viewer' });
    // the admin's view of the deferred message has its actions
    await openTransactionByRecipient(page, to);
    await expect(page.getByRole('button', { name: 'Retry now' })).toBeVisible();

    const viewer = await pageAs(browser, stack, email, password);
    await expect(viewer.getByText('viewer', { exact: true })).toBeVisible();
    // the Settings menu lists what a viewer may read, and not Users
    await viewer.getByRole('navigation').getByRole('button', { name: 'Settings' }).click();
    const menu = viewer.getByRole('menu', { name: 'Settings' });
    await expect(menu.getByRole('menuitem', { name: 'Senders' })).toBeVisible();
    await expect(menu.getByRole('menuitem', { name: 'Users' })).toHaveCount(0);
    await viewer.keyboard.press('Escape');
    await expect(menu).toHaveCount(0);
    await openTransactionByRecipient(viewer, to);
    await expect(viewer.getByText('451', { exact: false }).first()).toBeVisible();
    for (const name of ['Retry now', 'Hold', 'Release', 'Cancel delivery']) {
      await expect(viewer.getByRole('button', { name })).toHaveCount(0);
    }
    // the same mutation the button sends, with the viewer's session: refused by the server
    const refused = await viewer.request.post('/api/trpc/transactions.action', {
      headers: { origin: stack.console, 'content-type': 'application/json' },
      data: { json: { id: created.body.id, action: 'retry_now' } },
    });
    expect(refused.status()).toBe(403);
    expect(await refused.text()).toContain('FORBIDDEN');
    const users = await viewer.request.get('/api/trpc/users.list');
    expect(users.status()).toBe(403);
    expect((await api.get(created.body.id)).status).toBe('queued');
    await viewer.context().close();
    await harness.setRule(to, 'accept');
  });

  test('the Settings menu of the header works from the keyboard', async ({ adminPage: page }) => {
    await page.goto('/');
    const button = page.getByRole('navigation').getByRole('button', { name: 'Settings' });
    const menu = page.getByRole('menu', { name: 'Settings' });
    // Radix notes a keyboard open with a document keydown listener added in an effect. An Enter
    // pressed before that effect ran (the page still hydrating: CI once) opens the menu through
    // the button's handler, but as a pointer open, with no item focused. Only the open is
    // tried again; the assertion is the same.
    await expect(async () => {
      if (await menu.isVisible()) await page.keyboard.press('Escape');
      await button.focus();
      await page.keyboard.press('Enter');
      await expect(menu.getByRole('menuitem', { name: 'Senders' })).toBeFocused({ timeout: 2000 });
    }).toPass({ timeout: 30_000 });
    await expect(menu.getByRole('menuitem')).toHaveText([
      'Senders',
      'Chains',
      'Domains',
      'Configuration',
      'Users',
      'Audit log',
    ]);
    await page.keyboard.press('ArrowDown');
    await expect(menu.getByRole('menuitem', { name: 'Chains' })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/chains$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Chains' })).toBeVisible();
    // the menu's button says where we are; Escape closes the menu and focus returns to it
    await button.press('ArrowDown');
    await expect(menu.getByRole('menuitem', { name: 'Chains' })).toHaveAttribute(
      'aria-current',
      'page',
    );
    await page.keyboard.press('Escape');
    await expect(menu).toHaveCount(0);
    await expect(button).toBeFocused();
  });

  test('the header fits one line at 1280 px', async ({ adminPage: page }) => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto('/');
    const header = page.getByRole('banner');
    const nav = header.getByRole('navigation', { name: 'Main' });
    const signOut = header.getByRole('button', { name: 'Sign out' });
    const [a, b] = [await nav.boundingBox(), await signOut.boundingBox()];
    // the sign-out button sits on the navigation's line, not wrapped under it
    expect(Math.abs(a!.y + a!.height / 2 - (b!.y + b!.height / 2))).toBeLessThan(8);
  });
});
