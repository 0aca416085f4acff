import { escapeRegExp } from '../src/console.ts';
import { expect, smtpSend, test, uid } from '../src/fixtures.ts';

/**
 * A chain changed in the browser takes effect in the running routers without a restart: a
 * `policy` rejection added to `smtp-msa` (the chain SMTP submission runs before its exploder)
 * refuses the next submission at RCPT with the policy's own reply; restoring the previous
 * revision in the browser lets it through again.
 */
test('a policy rejection added in the chain editor refuses the next SMTP submission; restoring the revision accepts it again', async ({
  adminPage: page,
  stack,
  harness,
}) => {
  const domain = `${uid('blocked')}.example`;
  const reply = uid('refused by the e2e policy');
  const auth = { user: 'submission', pass: stack.apiKey };
  const submit = (local: string) =>
    smtpSend(
      stack,
      'msa',
      { from: 'carol@example.com', to: [`${local}@${domain}`], subject: local },
      auth,
    );

  // before: the domain is accepted and delivered
  const before = uid('before');
  expect(await submit(before)).toMatch(/^250/);
  await expect
    .poll(async () =>
      (await harness.sinkMessages()).some((m) => m.to.includes(`${before}@${domain}`)),
    )
    .toBe(true);

  await page.goto('/chains/smtp-msa');
  await expect(page.getByRole('heading', { level: 1, name: 'Chain smtp-msa' })).toBeVisible();
  const history = page.getByRole('link', { name: /^Revision history \(revision \d+\)$/ });
  const revision = Number(/\d+/.exec((await history.textContent()) ?? '')![0]);
  await page.getByLabel('Filter to add').selectOption('policy');
  await page.getByRole('button', { name: 'Add filter' }).click();
  // added before the terminal exploder: the envelope phase runs it at RCPT
  const card = page.getByRole('listitem', { name: 'Filter 1. policy' });
  await card.getByRole('button', { name: 'Add to rules' }).click();
  const rule = card.getByRole('group', { name: 'rules 1' });
  await rule.getByLabel('rules 1 action').selectOption('reject');
  await rule.getByLabel('name').fill('e2e blocked domain');
  await rule.getByLabel('match kind').selectOption('rcpt_domain');
  await rule.getByRole('button', { name: /^Add to rcpt domain/ }).click();
  await rule.getByRole('textbox', { name: /^rcpt domain 1$/ }).fill(domain);
  const response = rule.getByRole('group', { name: 'response' });
  await response.getByLabel('code').fill('550');
  await response.getByLabel('enhanced').fill('5.7.1');
  await response.getByLabel('message').fill(reply);
  const save = page.getByRole('form', { name: 'Save the chain' });
  await save.getByLabel('Comment (why this change)').fill(`e2e: refuse ${domain}`);
  await save.getByRole('button', { name: 'Save' }).click();
  await expect(save.getByText(`Saved as revision ${revision + 1}.`)).toBeVisible();

  // the running routers reload it within seconds (NOTIFY): nothing is restarted
  let refused = '';
  await expect(async () => {
    refused = await submit(uid('after')).then(
      (r) => `accepted: ${r}`,
      (err: Error) => err.message,
    );
    expect(refused).toMatch(/^(?!accepted)/);
  }).toPass({ timeout: 30_000 });
  expect(refused).toContain(`550 5.7.1 ${reply}`);

  // the previous revision restored in the browser: accepted again
  await page.getByRole('link', { name: `Revision history (revision ${revision + 1})` }).click();
  const revisions = page.getByRole('table', { name: 'Revisions' });
  await expect(
    revisions.getByRole('row', { name: new RegExp(escapeRegExp(`e2e: refuse ${domain}`)) }),
  ).toBeVisible();
  await page.getByRole('button', { name: `Restore revision ${revision}` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Restore' }).click();
  await expect(page.getByText(`Restored as revision ${revision + 2}.`)).toBeVisible();
  await expect(async () => {
    expect(await submit(uid('restored'))).toMatch(/^250/);
  }).toPass({ timeout: 30_000 });
});
