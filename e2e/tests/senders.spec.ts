import { openTransactionByRecipient } from '../src/console.ts';
import { expect, test, uid } from '../src/fixtures.ts';

/**
 * Senders and API keys in the browser: an admin creates a sender and a key (its secret shown
 * once, read from the page), an HTTP client sends with that key through the router's REST API,
 * the sink receives it and the console shows it; the key, revoked in the browser, is refused.
 */
test('a sender and an API key made in the console send mail over REST; a revoked key is refused', async ({
  adminPage: page,
  api,
  harness,
}) => {
  const sender = uid('e2e-app');
  await page.goto('/senders');
  await expect(page.getByRole('heading', { level: 1, name: 'Senders' })).toBeVisible();
  await page.getByRole('button', { name: 'Create sender' }).click();
  const form = page.getByRole('form', { name: 'New sender' });
  await form.getByLabel('Name').fill(sender);
  await form.getByLabel('Description').fill('made by the e2e suite');
  await form.getByLabel('Output chain').selectOption('submission');
  await form.getByRole('button', { name: 'Create sender' }).click();
  await expect(page).toHaveURL(new RegExp(`/senders/${sender}$`));
  await expect(page.getByRole('heading', { level: 1, name: `Sender ${sender}` })).toBeVisible();

  const keys = page.getByRole('region', { name: 'API keys' });
  await keys.getByRole('button', { name: 'Create API key' }).click();
  const create = page.getByRole('form', { name: 'New API key' });
  await create.getByLabel('Label').fill('e2e http client');
  await create.getByRole('button', { name: 'Create API key' }).click();
  const shown = page.getByRole('dialog', { name: 'New API key' });
  const field = shown.getByRole('textbox', { name: 'API key' });
  await expect(field).toHaveValue(/^kk_/);
  const key = await field.inputValue();
  await shown.getByRole('button', { name: 'Close' }).click();
  await expect(shown).toHaveCount(0);
  // listed by its prefix only: the secret is not on the page any more
  const prefix = key.split('_').slice(0, 2).join('_');
  await expect(page.getByRole('table', { name: `API keys of ${sender}` })).toContainText(prefix);
  await expect(page.getByText(key)).toHaveCount(0);

  // an HTTP client of its own, with the key from the page, on each router
  const tos: string[] = [];
  for (const router of [0, 1]) {
    const to = `${uid(`key${router}`)}@example.org`;
    tos.push(to);
    const sent = await api.send(
      { from: 'app@example.com', to: [to], subject: uid('with a console key') },
      { key, sender, router },
    );
    expect(sent.status).toBe(201);
    await expect.poll(async () => (await api.get(sent.body.id, { key })).status).toBe('delivered');
    await expect
      .poll(async () => (await harness.sinkMessages()).find((m) => m.to.includes(to)))
      .toMatchObject({ from: 'app@example.com', to: [to] });
  }
  await openTransactionByRecipient(page, tos[0]!);
  await expect(page.getByText(sender, { exact: true }).first()).toBeVisible();

  // revoked in the browser: every router refuses it within a second
  await page.goto(`/senders/${sender}`);
  await page.getByRole('button', { name: `Revoke ${prefix}` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByRole('button', { name: `Revoke ${prefix}` })).toHaveCount(0);
  for (const router of [0, 1]) {
    await expect
      .poll(
        async () =>
          (
            await api.send(
              { from: 'app@example.com', to: [`${uid('revoked')}@example.org`], subject: 'x' },
              { key, sender, router },
            )
          ).status,
        { timeout: 5_000 },
      )
      .toBe(401);
  }
});
