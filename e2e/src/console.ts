import type { Browser, Page } from '@playwright/test';
import { expect, signIn } from './fixtures.ts';
import type { StackInfo } from './stack/info.ts';

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Transactions page: filter by recipient, open the one transaction to `to`. */
export async function openTransactionByRecipient(page: Page, to: string): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name: 'Transactions' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Transactions' })).toBeVisible();
  const filters = page.getByRole('form', { name: 'Filter transactions' });
  await filters.getByLabel('Recipient starts with').fill(to);
  await filters.getByRole('button', { name: 'Apply filters' }).click();
  await page
    .getByRole('link', { name: new RegExp(`^Open transaction to ${escapeRegExp(to)} created`) })
    .click();
  await expect(page.getByRole('heading', { level: 1, name: to })).toBeVisible();
}

/** Invites a user through the Users page as the signed-in admin; returns the temporary password. */
export async function inviteUser(
  page: Page,
  user: { email: string; name: string; role: 'admin' | 'operator' | 'viewer' },
): Promise<string> {
  await page.goto('/users');
  await page.getByRole('button', { name: 'Invite user' }).click();
  const form = page.getByRole('form', { name: 'Invite a user' });
  await form.getByLabel('Email').fill(user.email);
  await form.getByLabel('Name').fill(user.name);
  await form.getByLabel('Role').selectOption(user.role);
  await form.getByRole('button', { name: 'Create user' }).click();
  const dialog = page.getByRole('dialog', { name: 'Temporary password' });
  const password = dialog.getByRole('textbox', { name: 'Temporary password' });
  await expect(password).not.toHaveValue('');
  const value = await password.inputValue();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole('row', { name: new RegExp(escapeRegExp(user.email)) })).toBeVisible();
  return value;
}

/** A page of its own (own cookies) signed in as `email`. */
export async function pageAs(
  browser: Browser,
  stack: StackInfo,
  email: string,
  password: string,
): Promise<Page> {
  const context = await browser.newContext({ baseURL: stack.console });
  const page = await context.newPage();
  await signIn(page, email, password);
  return page;
}
