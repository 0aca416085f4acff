import { escapeRegExp } from '../src/console.ts';
import { expect, test, uid } from '../src/fixtures.ts';

/** Part 2 of the console: the retry queue, with a real deferring next hop. */
test('a deferring domain fills the retry queue; “retry now” on the group delivers it', async ({
  adminPage: page,
  api,
  harness,
}) => {
  const domain = `${uid('defer')}.example`;
  await harness.setRule(domain, 'defer');
  const ids: string[] = [];
  for (const n of [1, 2, 3]) {
    const sent = await api.send({
      from: 'alice@example.com',
      to: [`user${n}@${domain}`],
      subject: uid('queued'),
    });
    expect(sent.status).toBe(201);
    ids.push(sent.body.id);
  }
  // each was tried once, deferred by the sink (451), and waits for its next attempt
  for (const id of ids) {
    await expect
      .poll(async () => {
        const t = await api.get(id);
        return `${t.status} ${t.rcpt_response[0]?.code}`;
      })
      .toBe('queued 451');
  }

  await page.goto('/queues');
  await expect(page.getByRole('heading', { level: 1, name: 'Retry queues' })).toBeVisible();
  const filter = page.getByRole('form', { name: 'Filter the queue' });
  await filter.getByLabel('Destination domain').fill(domain);
  await filter.getByLabel('Group by').selectOption('domain');
  await filter.getByRole('button', { name: 'Apply filters' }).click();
  const groups = page.getByRole('table', { name: 'Queue groups' });
  const row = groups.getByRole('row', { name: new RegExp(escapeRegExp(domain)) });
  await expect(row).toBeVisible();
  await expect(row.getByRole('cell', { name: '3', exact: true })).toBeVisible();
  await row.getByRole('button', { name: `Show messages of ${domain}` }).click();
  const messages = page.getByRole('table', { name: 'Messages of the group' });
  for (const n of [1, 2, 3]) {
    await expect(messages.getByText(`user${n}@${domain}`)).toBeVisible();
  }

  await page.getByRole('button', { name: /^Retry now.*group/ }).click();
  const confirm = page.getByRole('dialog');
  const retry = confirm.getByRole('button', { name: 'Retry now 3 messages' });
  await expect(retry).toBeEnabled();
  // the domain accepts again; nobody waits for the retry schedule (the next attempt is minutes
  // away): the button sends them now
  await harness.setRule(domain, 'accept');
  await retry.click();
  await expect(page.getByRole('status').filter({ hasText: /\d+ messages?/ })).toBeVisible();
  for (const id of ids) {
    await expect.poll(async () => (await api.get(id)).status).toBe('delivered');
  }
  const delivered = (await harness.sinkMessages()).filter((m) =>
    m.to.some((to) => to.endsWith(`@${domain}`)),
  );
  expect(delivered).toHaveLength(3);
});
