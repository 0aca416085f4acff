import { createBlob, finalizeBlob, insertSandboxMessage, writeBlobStream } from '@koukan/db';
import { uniqueName } from '@koukan/db/testing';
import { describe, expect, it } from 'vitest';
import { auditList } from '../audit/list.ts';
import type { ServiceContext } from '../context.ts';
import { senderCreate } from '../senders/create.ts';
import { useTestDatabase } from '../testing/database.ts';
import { sandboxDelete } from './delete.ts';
import { sandboxList, sandboxMailboxList } from './list.ts';

const { t, ctx } = useTestDatabase('user:ops@example.com');

/** A kept message as the router's sandbox store writes it: a blob with one reference. */
async function keep(mailbox: string, subject: string, rcpt: string) {
  const blob = await createBlob(t.db, { senderId: null });
  await writeBlobStream(t.db, blob.id, [Buffer.from(`Subject: ${subject}\r\n\r\nx`)]);
  await finalizeBlob(t.db, blob.id);
  return insertSandboxMessage(t.db, {
    mailbox,
    transactionId: null,
    sender: 'sandbox',
    mailFrom: 'app@example.com',
    rcptTo: [rcpt],
    subject,
    messageId: `<${uniqueName('m')}@example.com>`,
    blobId: blob.id,
    size: 10,
  });
}

async function blobCount() {
  const { rows } = await t.pool.query<{ n: number }>('select count(*)::int as n from blobs');
  return rows[0]!.n;
}

describe('sandbox inbox', () => {
  it('lists per mailbox newest first, searches, pages, deletes and frees bodies', async () => {
    const box = uniqueName('box');
    const a = await keep(box, 'Welcome aboard', 'alice@example.net');
    const b = await keep(box, 'Your invoice 42', 'bob@example.net');
    const c = await keep(box, 'Password reset', 'carol@example.net');
    const other = await keep(uniqueName('box'), 'Elsewhere', 'dan@example.net');

    const page1 = await sandboxList({ ctx, input: { mailbox: box, limit: 2 } });
    expect(page1.items.map((m) => m.id)).toEqual([c.id, b.id]);
    const page2 = await sandboxList({
      ctx,
      input: { mailbox: box, limit: 2, cursor: page1.next! },
    });
    expect(page2.items.map((m) => m.id)).toEqual([a.id]);
    expect(
      (await sandboxList({ ctx, input: { mailbox: box, search: 'INVOICE' } })).items.map(
        (m) => m.id,
      ),
    ).toEqual([b.id]);
    expect(
      (await sandboxList({ ctx, input: { search: 'carol@' } })).items.map((m) => m.id),
    ).toEqual([c.id]);
    expect(
      (await sandboxMailboxList({ ctx, input: {} })).find((m) => m.mailbox === box),
    ).toMatchObject({ count: 3 });

    const blobs = await blobCount();
    expect(await sandboxDelete({ ctx, input: { id: b.id } })).toEqual({
      deleted: 1,
      blobsFreed: 1,
    });
    expect(await blobCount()).toBe(blobs - 1);
    await expect(sandboxDelete({ ctx, input: { id: b.id } })).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(await sandboxDelete({ ctx, input: { mailbox: box } })).toEqual({
      deleted: 2,
      blobsFreed: 2,
    });
    expect((await sandboxList({ ctx, input: { mailbox: box } })).items).toEqual([]);
    expect((await sandboxList({ ctx, input: {} })).items.map((m) => m.id)).toContain(other.id);
    expect(await sandboxDelete({ ctx, input: { all: true } })).toMatchObject({ deleted: 1 });
    expect(await blobCount()).toBe(blobs - 4);
  });
});

describe('audit log', () => {
  it('filters by user, entity and time, newest first, with before/after', async () => {
    const before = new Date(Date.now() - 1000);
    const other: ServiceContext = { ...ctx, actor: 'user:someone@example.com' };
    const name = uniqueName('s');
    const s = await senderCreate({ ctx: other, input: { name } });
    await senderCreate({ ctx, input: { name: uniqueName('s') } });

    const mine = await auditList({ ctx, input: { actor: 'user:someone@example.com' } });
    expect(mine.items.map((e) => [e.action, e.entityId])).toEqual([['sender.create', s.id]]);
    expect(mine.items[0]!.details).toMatchObject({ before: null, after: { name } });
    const byEntity = await auditList({ ctx, input: { entity_type: 'sender', entity_id: s.id } });
    expect(byEntity.items).toHaveLength(1);
    const recent = await auditList({
      ctx,
      input: { entity_type: 'sender', from: before, action: 'sender.', limit: 1 },
    });
    expect(recent.items).toHaveLength(1);
    const rest = await auditList({
      ctx,
      input: { entity_type: 'sender', from: before, limit: 1, cursor: recent.next! },
    });
    expect(rest.items[0]!.id).toBeLessThan(recent.items[0]!.id);
    expect(
      (await auditList({ ctx, input: { from: new Date(Date.now() + 60_000) } })).items,
    ).toEqual([]);
    await expect(auditList({ ctx, input: { from: 'soon' as never } })).rejects.toMatchObject({
      code: 'bad_request',
      details: [{ field: 'from' }],
    });
  });
});
