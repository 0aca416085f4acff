import { Readable } from 'node:stream';
import { createBlob, finalizeBlob, insertSandboxMessage, writeBlobStream } from '@koukan/db';
import { uniqueName } from '@koukan/db/testing';
import { describe, expect, it } from 'vitest';
import { codeOf, fileHarness, silent } from '../../../testing/harness.ts';
import { HTML_CSP } from '../../http/downloads.ts';
import {
  sandboxAttachmentResponse,
  sandboxHtmlResponse,
  sandboxRawResponse,
} from '../../http/sandbox-routes.ts';

const h = fileHarness();

/** A message as the router's sandbox store keeps it: a blob with one reference and a row. */
async function keep(mailbox: string, subject: string) {
  const db = h.database.db;
  const body = [
    'From: Shop <shop@example.com>',
    'To: bob@example.net',
    `Subject: ${subject}`,
    'Content-Type: multipart/alternative; boundary=b',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    `Plain ${subject}`,
    '--b',
    'Content-Type: text/html',
    '',
    `<p>${subject}</p>`,
    '--b--',
    '',
  ].join('\r\n');
  const blob = await createBlob(db, { senderId: null });
  await writeBlobStream(db, blob.id, Readable.from([Buffer.from(body)]));
  await finalizeBlob(db, blob.id);
  return insertSandboxMessage(db, {
    mailbox,
    transactionId: null,
    sender: 'sandbox',
    mailFrom: 'shop@example.com',
    rcptTo: ['bob@example.net'],
    subject,
    messageId: `<${uniqueName('m')}@example.com>`,
    blobId: blob.id,
    size: body.length,
  });
}

describe('sandbox router', () => {
  it('lists per mailbox, searches, opens a message parsed like a transaction body', async () => {
    const box = uniqueName('box');
    const a = await keep(box, 'Welcome aboard');
    const b = await keep(box, 'Your invoice 42');
    const viewer = h.caller(h.users.viewer);
    const boxes = await viewer.sandbox.mailboxes();
    expect(boxes.find((m) => m.mailbox === box)?.count).toBe(2);
    expect((await viewer.sandbox.list({ mailbox: box })).items.map((m) => m.id)).toEqual([
      b.id,
      a.id,
    ]);
    expect(
      (await viewer.sandbox.list({ mailbox: box, search: 'invoice' })).items.map((m) => m.id),
    ).toEqual([b.id]);
    const opened = await viewer.sandbox.get({ id: b.id });
    expect(opened.item.mailbox).toBe(box);
    expect(opened.message).toMatchObject({
      subject: 'Your invoice 42',
      text: 'Plain Your invoice 42',
      html: '<p>Your invoice 42</p>',
    });
    expect(await codeOf(viewer.sandbox.get({ id: '00000000-0000-4000-8000-000000000000' }))).toBe(
      'NOT_FOUND',
    );
  });

  it('lets an operator delete one or a mailbox (audited), never a viewer', async () => {
    const box = uniqueName('box');
    const a = await keep(box, 'one');
    await keep(box, 'two');
    await keep(box, 'three');
    const viewer = h.caller(h.users.viewer);
    expect(await codeOf(viewer.sandbox.delete({ id: a.id }))).toBe('FORBIDDEN');
    expect(await codeOf(viewer.sandbox.delete({ all: true }))).toBe('FORBIDDEN');
    expect(await codeOf(h.caller(null).sandbox.list({}))).toBe('UNAUTHORIZED');

    const operator = h.caller(h.users.operator);
    expect(await operator.sandbox.delete({ id: a.id })).toEqual({ deleted: 1, blobsFreed: 1 });
    expect(await codeOf(operator.sandbox.delete({ id: a.id }))).toBe('NOT_FOUND');
    expect(await operator.sandbox.delete({ mailbox: box })).toEqual({ deleted: 2, blobsFreed: 2 });
    expect((await viewer.sandbox.list({ mailbox: box })).items).toEqual([]);

    const audit = await viewer.audit.list({ entity_type: 'sandbox_message' });
    const mine = audit.items.filter((e) => e.actor === `user:${h.users.operator.email}`);
    expect(mine.map((e) => e.details.deleted)).toEqual([2, 1]);
    expect(mine[1]!.entityId).toBe(a.id);
  });
});

describe('sandbox message downloads', () => {
  it('serves the raw source, the HTML under the CSP, and refuses a missing attachment', async () => {
    const m = await keep(uniqueName('box'), 'Downloads');
    const ctx = { db: h.database.db, logger: silent, actor: 'user:test@example.com' };
    const raw = await sandboxRawResponse(ctx, m.id);
    expect(raw.headers.get('content-type')).toBe('message/rfc822');
    expect(await raw.text()).toContain('Subject: Downloads');
    const html = await sandboxHtmlResponse(ctx, m.id);
    expect(html.headers.get('content-security-policy')).toBe(HTML_CSP);
    expect(await html.text()).toBe('<p>Downloads</p>');
    await expect(sandboxAttachmentResponse(ctx, m.id, '0')).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});

describe('audit router', () => {
  it('filters by user, entity and time, keyset-paginated, newest first', async () => {
    const operator = h.caller(h.users.operator);
    const box = uniqueName('box');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await keep(box, `m${i}`)).id);
    // From now on (one clock: same host): the deletes of the tests before are not in the window.
    const start = new Date();
    for (const id of ids) await operator.sandbox.delete({ id });
    const viewer = h.caller(h.users.viewer);
    const seen: string[] = [];
    let cursor: number | undefined;
    do {
      const page = await viewer.audit.list({
        actor: `user:${h.users.operator.email}`,
        entity_type: 'sandbox_message',
        from: start,
        limit: 2,
        ...(cursor && { cursor }),
      });
      seen.push(...page.items.map((e) => e.entityId!));
      cursor = page.next ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const none = await viewer.audit.list({ entity_type: 'sandbox_message', to: start });
    expect(none.items.filter((e) => ids.includes(e.entityId!))).toEqual([]);
    expect(await codeOf(viewer.audit.list({ limit: 10_000 }))).toBe('BAD_REQUEST');
  });
});
