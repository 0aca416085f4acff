import { createHash, randomBytes } from 'node:crypto';
import { readBlobStream, schema } from '@koukan/db';
import type { TestDatabase } from '@koukan/db/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  client,
  MESSAGE,
  makeSender,
  type Router,
  startRouter,
  testDatabase,
} from '../testing/harness.ts';

let t: TestDatabase;
let router: Router;
const finalized: string[] = [];
beforeAll(async () => {
  t = await testDatabase();
  router = await startRouter(t, { onBodyFinalized: (id) => finalized.push(id) });
});
afterAll(async () => {
  await router?.close();
  await t?.destroy();
});

const base = { mail_from: { m: 'a@example.org' }, rcpt_to: [{ m: 'b@example.org' }] };

async function storedHash(blobId: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of readBlobStream(t.db, blobId)) h.update(c as Buffer);
  return h.digest('hex');
}

describe('message-builder bodies', () => {
  const spec = {
    headers: [
      ['from', 'a@example.org'],
      ['to', 'b@example.org'],
      ['subject', 'report'],
    ],
    text_body: [{ content_type: 'text/plain', content: { inline: 'see attached' } }],
    html_body: [{ content_type: 'text/html', content: { inline: '<img src="cid:logo">' } }],
    related: [{ content_type: 'image/png', content_id: 'logo', content: { create_id: 'logo' } }],
    attachments: [
      { filename: 'report.pdf', content_type: 'application/pdf', content: { create_id: 'report' } },
    ],
  };

  it('uploads the parts, then reuses one from another transaction', async () => {
    const s = await makeSender(t.db);
    const api = client(router.url, s.key);
    const created = await api('POST', `/v1/senders/${s.name}/transactions`, {
      json: { ...base, body: { message_builder: spec } },
    });
    expect(created.status).toBe(201);
    const id = created.json.id;
    expect(created.json.body).toMatchObject({
      type: 'message_builder',
      status: 'awaiting_upload',
      rfc822: null,
    });
    expect(created.json.body.blobs.map((b: { create_id: string }) => b.create_id)).toEqual([
      'logo',
      'report',
    ]);
    expect(created.json.next_attempt_at).toBeNull();

    const toBody = await api('PUT', `/v1/transactions/${id}/body`, { body: MESSAGE });
    expect(toBody.status).toBe(409);
    const unknown = await api('PUT', `/v1/transactions/${id}/blob/nope`, { body: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.details[0].field).toBe('params.blob_id');

    const logo = await api('PUT', `/v1/transactions/${id}/blob/logo`, { body: randomBytes(5000) });
    expect(logo.status).toBe(200);
    expect(logo.json.transaction.body.status).toBe('uploading');
    const pdf = randomBytes(300_000);
    const p1 = await api('PUT', `/v1/transactions/${id}/blob/report`, {
      body: pdf.subarray(0, 100_000),
      headers: { 'content-range': `bytes 0-99999/${pdf.length}` },
    });
    expect(p1.json.upload.complete).toBe(false);
    const p2 = await api('PUT', `/v1/transactions/${id}/blob/report`, {
      body: pdf.subarray(100_000),
      headers: { 'content-range': `bytes 100000-${pdf.length - 1}/${pdf.length}` },
    });
    expect(p2.status).toBe(200);
    expect(p2.json.transaction.body.status).toBe('finalized');
    expect(p2.json.transaction.next_attempt_at).not.toBeNull();
    expect(finalized).toContain(id);

    const reuse = `/v1/transactions/${id}/blob/report`;
    const second = await api('POST', `/v1/senders/${s.name}/transactions`, {
      json: {
        ...base,
        body: {
          message_builder: {
            ...spec,
            related: undefined,
            html_body: undefined,
            attachments: [{ filename: 'report.pdf', content: { reuse_uri: reuse } }],
          },
        },
      },
    });
    expect(second.status).toBe(201);
    expect(second.json.body.status).toBe('finalized');
    expect(second.json.next_attempt_at).not.toBeNull();
    const [row] = await t.db
      .select()
      .from(schema.transactions)
      .where(eq(schema.transactions.id, id));
    const ref = (row!.bodySpec as { blobs: { create_id?: string; blob_id: string }[] }).blobs.find(
      (b) => b.create_id === 'report',
    )!;
    const [blob] = await t.db.select().from(schema.blobs).where(eq(schema.blobs.id, ref.blob_id));
    expect(blob!.refCount).toBe(2);
    expect(await storedHash(ref.blob_id)).toBe(createHash('sha256').update(pdf).digest('hex'));
  });

  it('400 for a duplicate create_id or an invalid part', async () => {
    const s = await makeSender(t.db);
    const api = client(router.url, s.key);
    const dup = await api('POST', `/v1/senders/${s.name}/transactions`, {
      json: {
        ...base,
        body: {
          message_builder: {
            attachments: [{ content: { create_id: 'a' } }, { content: { create_id: 'a' } }],
          },
        },
      },
    });
    expect(dup.status).toBe(400);
    expect(dup.json.error.details[0].field).toBe(
      'body.message_builder.attachments[1].content.create_id',
    );
    const badHeader = await api('POST', `/v1/senders/${s.name}/transactions`, {
      json: {
        ...base,
        body: { message_builder: { headers: [['subject', 'x\r\nBcc: e@evil.test']] } },
      },
    });
    expect(badHeader.status).toBe(400);
  });
});
