import { createHash, randomBytes } from 'node:crypto';
import { schema } from '@koukan/db';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { expectField, MESSAGE, routerSuite, storedHash } from '../testing/harness.ts';

const finalized: string[] = [];
const { t, sender } = routerSuite({ onBodyFinalized: (id) => finalized.push(id) });

const base = { mail_from: { m: 'a@example.org' }, rcpt_to: [{ m: 'b@example.org' }] };

describe('message-builder bodies', () => {
  const spec = {
    from: [{ address: 'a@example.org' }],
    to: [{ address: 'b@example.org' }],
    subject: 'report',
    text: { content: { inline: 'see attached' } },
    html: { content: { inline: '<img src="cid:logo">' } },
    related: [{ content_type: 'image/png', content_id: 'logo', content: { create_id: 'logo' } }],
    attachments: [
      { filename: 'report.pdf', content_type: 'application/pdf', content: { create_id: 'report' } },
    ],
  };

  it('uploads the parts, then reuses one from another transaction', async () => {
    const { api, create } = await sender();
    const created = await create({ ...base, body: { message_builder: spec } });
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
    expectField(unknown, 404, 'params.blob_id');

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
    const second = await create({
      ...base,
      body: {
        message_builder: {
          ...spec,
          related: undefined,
          html: undefined,
          attachments: [{ filename: 'report.pdf', content: { reuse_uri: reuse } }],
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
    expect(await storedHash(t.db, ref.blob_id)).toBe(
      createHash('sha256').update(pdf).digest('hex'),
    );
  });

  it('400 for a duplicate create_id or an invalid part', async () => {
    const { create } = await sender();
    const build = (message_builder: object) => create({ ...base, body: { message_builder } });
    const dup = await build({
      attachments: [
        { filename: 'a', content: { create_id: 'a' } },
        { filename: 'b', content: { create_id: 'a' } },
      ],
    });
    expectField(dup, 400, 'body.message_builder.attachments[1].content.create_id');
    const text = { content: { inline: 'x' } };
    const badHeader = await build({ subject: 'x\r\nBcc: e@evil.test', text });
    expectField(badHeader, 400, 'body.body.message_builder.subject');
    const badAddress = await build({ to: [{ address: 'b@example.org,x@evil.test' }], text });
    expectField(badAddress, 400, 'body.body.message_builder.to[0].address');
  });
});
