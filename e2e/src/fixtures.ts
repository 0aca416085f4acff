import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';
import nodemailer from 'nodemailer';
import { type StackInfo, stackInfo } from './stack/info.ts';
import type { LmtpMessage, SinkAction, SinkMessage } from './stack/sink.ts';

export { expect };

/** A unique, recognisable token for addresses and subjects of one test. */
export function uid(tag: string): string {
  return `${tag}-${randomBytes(4).toString('hex')}`;
}

export interface Harness {
  setRule(target: string, action: SinkAction): Promise<void>;
  sinkMessages(): Promise<SinkMessage[]>;
  lmtpMessages(): Promise<LmtpMessage[]>;
  receiverMessages(): Promise<ReceivedJson[]>;
}

/** One line of the example receiver's output. */
export interface ReceivedJson {
  sender: string;
  mail_from: string;
  rcpt_to: string[];
  message: {
    subject: string | null;
    text: string | null;
    from: { address: string }[];
    headers: Record<string, unknown>;
  };
}

export interface Transaction {
  id: string;
  status: string;
  rcpt_response: ({ code: number; message: string } | null)[];
}

export interface Mail {
  from: string;
  to: string[];
  subject: string;
  text?: string;
}

export interface Api {
  /** POST /v1/senders/{sender}/transactions on router `router` (0 or 1) with `key`. */
  send(
    mail: Mail,
    options?: { key?: string; sender?: string; router?: number },
  ): Promise<{
    status: number;
    body: Transaction & { error?: unknown };
  }>;
  get(id: string, options?: { key?: string; router?: number }): Promise<Transaction>;
}

function harness(url: string): Harness {
  const get = async <T>(path: string) => (await (await fetch(url + path)).json()) as T;
  return {
    async setRule(target, action) {
      const res = await fetch(`${url}/sink/rules`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ target, action }),
      });
      expect(res.status).toBe(200);
    },
    sinkMessages: () => get('/sink/messages'),
    lmtpMessages: () => get('/lmtp/messages'),
    receiverMessages: () => get('/receiver/messages'),
  };
}

function api(stack: StackInfo): Api {
  const headers = (key: string) => ({
    authorization: `Bearer ${key}`,
    'content-type': 'application/json',
  });
  return {
    async send(mail, options = {}) {
      const router = stack.routers[options.router ?? 0]!;
      const res = await fetch(
        `${router}/v1/senders/${options.sender ?? 'submission'}/transactions`,
        {
          method: 'POST',
          headers: headers(options.key ?? stack.apiKey),
          body: JSON.stringify({
            mail_from: { m: mail.from },
            rcpt_to: mail.to.map((m) => ({ m })),
            body: {
              message_builder: {
                from: [{ address: mail.from }],
                to: mail.to.map((address) => ({ address })),
                subject: mail.subject,
                text: { content: { inline: mail.text ?? `e2e: ${mail.subject}` } },
              },
            },
          }),
        },
      );
      return { status: res.status, body: (await res.json()) as Transaction };
    },
    async get(id, options = {}) {
      const router = stack.routers[options.router ?? 0]!;
      const res = await fetch(`${router}/v1/transactions/${id}`, {
        headers: headers(options.key ?? stack.apiKey),
      });
      expect(res.status).toBe(200);
      return (await res.json()) as Transaction;
    },
  };
}

/** Sends one message over SMTP: to the MX (no auth) or the MSA (STARTTLS required, AUTH). */
export async function smtpSend(
  stack: StackInfo,
  listener: 'mx' | 'msa',
  mail: Mail,
  auth?: { user: string; pass: string },
): Promise<string> {
  const transport = nodemailer.createTransport({
    host: stack.smtp.host,
    port: stack.smtp[listener],
    secure: false,
    requireTLS: listener === 'msa',
    // the gateway's certificate is self-signed (generated at start)
    tls: { rejectUnauthorized: false },
    ...(auth && { auth }),
  });
  try {
    const info = await transport.sendMail({
      from: mail.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text ?? `e2e: ${mail.subject}`,
    });
    return info.response;
  } finally {
    transport.close();
  }
}

/**
 * Fills the sign-in form and submits it; returns the sign-in request's status. Sign-in is rate
 * limited per client (better-auth: 3 per 10 s) and the suite signs in more often than that from
 * one address, so a 429 is submitted again once its `X-Retry-After` has passed (twice at most).
 */
export async function submitSignIn(page: Page, email: string, password: string): Promise<number> {
  await page.goto('/sign-in');
  const form = page.getByRole('form', { name: 'Sign in' });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  for (let attempt = 0; ; attempt++) {
    const answer = page.waitForResponse(
      (r) => r.url().includes('/api/auth/sign-in') && r.request().method() === 'POST',
    );
    await form.getByRole('button', { name: 'Sign in' }).click();
    const res = await answer;
    if (res.status() !== 429 || attempt === 2) return res.status();
    const seconds = Number(res.headers()['x-retry-after']) || 10;
    await page.waitForTimeout(seconds * 1000 + 250);
  }
}

export async function signIn(page: Page, email: string, password: string): Promise<void> {
  expect(await submitSignIn(page, email, password)).toBe(200);
  await expect(page).not.toHaveURL(/\/sign-in/);
}

export const test = base.extend<
  { stack: StackInfo; harness: Harness; api: Api; adminPage: Page },
  { adminState: string }
>({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads fixtures from a destructuring
  stack: async ({}, use) => use(stackInfo()),
  baseURL: async ({ stack }, use) => use(stack.console),
  harness: async ({ stack }, use) => use(harness(stack.harness)),
  api: async ({ stack }, use) => use(api(stack)),
  /** The admin's session, signed in once per worker through the sign-in page. */
  adminState: [
    async ({ browser }, use, workerInfo) => {
      const stack = stackInfo();
      const context = await browser.newContext({ baseURL: stack.console });
      await signIn(await context.newPage(), stack.admin.email, stack.admin.password);
      const path = join(
        workerInfo.project.outputDir,
        `.admin-state-${workerInfo.workerIndex}.json`,
      );
      await context.storageState({ path });
      await context.close();
      await use(path);
    },
    { scope: 'worker' },
  ],
  /** A page signed in as the admin (the worker's session). */
  adminPage: async ({ browser, adminState, stack }, use) => {
    const context = await browser.newContext({ baseURL: stack.console, storageState: adminState });
    await use(await context.newPage());
    await context.close();
  },
});
