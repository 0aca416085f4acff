import { createBlob, insertTransaction } from '@koukan/db';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../testing/database.ts';
import { makeSender, makeTransaction } from '../testing/fixtures.ts';
import { bodyHeaderFields } from '../transactions/header-fields.ts';
import { getAttachment, getMessage, getRawMessage } from './message.ts';

const { t, ctx } = useTestDatabase('user:ops@example.com');
let senderId: string;
beforeAll(async () => {
  senderId = (await makeSender(t.db)).id;
});

const pdf = Buffer.from('%PDF-1.4\n% a statement\n');
const MIXED = [
  'From: "Billing Dept" <billing@example.com>',
  'To: Bob <bob@example.net>, carol@example.net',
  'Cc: audit@example.net',
  'Subject: =?utf-8?q?Statement_=E2=80=94_December?=',
  'Date: Tue, 01 Dec 2026 11:00:00 +0000',
  'Message-ID: <stmt-1@example.com>',
  'X-Long: first part',
  '  folded second part',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="mix"',
  '',
  '--mix',
  'Content-Type: multipart/alternative; boundary="alt"',
  '',
  '--alt',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Your statement is attached.',
  '--alt',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<p>Your statement is <b>attached</b>.</p><img src="cid:logo@example.com"><img src="https://tracker.example/p.gif">',
  '--alt--',
  '--mix',
  'Content-Type: image/png',
  'Content-ID: <logo@example.com>',
  'Content-Disposition: inline',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('not really a png').toString('base64'),
  '--mix',
  'Content-Type: application/pdf; name="statement.pdf"',
  'Content-Disposition: attachment; filename="statement.pdf"',
  'Content-Transfer-Encoding: base64',
  '',
  pdf.toString('base64'),
  '--mix--',
  '',
].join('\r\n');

describe('getMessage', () => {
  it('parses headers, addresses, text, HTML (cid: links kept) and attachments', async () => {
    const tx = await makeTransaction(t.db, senderId, {}, MIXED);
    const m = await getMessage({ ctx, input: { id: tx.id } });
    expect(m.size).toBe(Buffer.byteLength(MIXED));
    expect(m.subject).toBe('Statement — December');
    expect(m.messageId).toBe('<stmt-1@example.com>');
    expect(m.date).toBe('2026-12-01T11:00:00.000Z');
    expect(m.from).toEqual([{ name: 'Billing Dept', address: 'billing@example.com' }]);
    expect(m.to.map((a) => a.address)).toEqual(['bob@example.net', 'carol@example.net']);
    expect(m.cc.map((a) => a.address)).toEqual(['audit@example.net']);
    expect(m.headers.find((h) => h.key === 'x-long')?.value).toBe('first part folded second part');
    expect(m.headers.map((h) => h.key).slice(0, 3)).toEqual(['from', 'to', 'cc']);
    expect(m.text?.trim()).toBe('Your statement is attached.');
    expect(m.html).toContain('src="cid:logo@example.com"');
    expect(m.attachments).toEqual([
      {
        index: 0,
        filename: null,
        contentType: 'image/png',
        size: 16,
        contentId: '<logo@example.com>',
        disposition: 'inline',
      },
      {
        index: 1,
        filename: 'statement.pdf',
        contentType: 'application/pdf',
        size: pdf.length,
        contentId: null,
        disposition: 'attachment',
      },
    ]);
    expect(m.warnings).toEqual([]);
    const file = await getAttachment({ ctx, input: { id: tx.id, index: 1 } });
    expect(file).toMatchObject({
      filename: 'statement.pdf',
      contentType: 'application/pdf',
      size: pdf.length,
    });
    expect(file.content.equals(pdf)).toBe(true);
    await expect(getAttachment({ ctx, input: { id: tx.id, index: 2 } })).rejects.toMatchObject({
      code: 'not_found',
      details: [{ field: 'index' }],
    });
  });

  it('streams the raw bytes for download', async () => {
    const tx = await makeTransaction(t.db, senderId, {}, MIXED);
    const raw = await getRawMessage({ ctx, input: { id: tx.id } });
    const parts: Buffer[] = [];
    for await (const c of raw.stream) parts.push(c as Buffer);
    expect(Buffer.concat(parts).toString()).toBe(MIXED);
    expect(raw).toMatchObject({
      size: Buffer.byteLength(MIXED),
      contentType: 'message/rfc822',
      filename: `${tx.id}.eml`,
    });
  });

  it('survives a hostile body: a huge header, thousands of headers, broken MIME', async () => {
    const hostile = [
      `Subject: ${'A'.repeat(600_000)}`,
      ...Array.from({ length: 5000 }, (_, i) => `X-Spam-${i}: ${'b'.repeat(40)}`),
      'Content-Type: multipart/mixed; boundary="never-closed"',
      '',
      '--never-closed',
      'Content-Type: text/plain; charset=no-such-charset',
      'Content-Transfer-Encoding: base64',
      '',
      '!!!! not base64 @@@@',
      '--never-closed',
      'Content-Type: multipart/alternative',
      '',
      'a multipart without a boundary',
      '',
    ].join('\r\n');
    const tx = await makeTransaction(t.db, senderId, {}, hostile);
    const m = await getMessage({ ctx, input: { id: tx.id } });
    expect(m.size).toBe(Buffer.byteLength(hostile));
    expect(m.subject?.length).toBe(600_000);
    expect(m.headers.length).toBeGreaterThanOrEqual(5000);
    expect(Array.isArray(m.attachments)).toBe(true);
  });

  it('says why there is nothing to show: no body yet, still uploading, builder JSON, too large', async () => {
    const envelope = {
      senderId,
      mailFrom: { m: 'a@example.com' },
      rcptTo: [{ m: 'b@example.net' }],
    };
    const none = await insertTransaction(t.db, envelope);
    await expect(getMessage({ ctx, input: { id: none.id } })).rejects.toMatchObject({
      code: 'not_found',
    });
    const blob = await createBlob(t.db, {
      senderId,
      contentType: 'message/rfc822',
      expectedSize: 1000,
    });
    const uploading = await insertTransaction(t.db, { ...envelope, bodyBlobId: blob.id });
    await expect(getMessage({ ctx, input: { id: uploading.id } })).rejects.toMatchObject({
      code: 'conflict',
      message: 'the body is not uploaded yet (0 of 1000 bytes received)',
    });
    await expect(getRawMessage({ ctx, input: { id: uploading.id } })).rejects.toMatchObject({
      code: 'conflict',
    });
    const built = await insertTransaction(t.db, {
      ...envelope,
      bodySpec: { message_builder: { text: { content: { inline: 'hi' } } }, blobs: [] },
    });
    await expect(getMessage({ ctx, input: { id: built.id } })).rejects.toMatchObject({
      code: 'unprocessable',
    });
    const big = await makeTransaction(t.db, senderId);
    // The stored size decides (a real 11 MB body would only slow the test down).
    await t.pool.query('update blobs set size = 11534336 where id = $1', [big.bodyBlobId]);
    await expect(getMessage({ ctx, input: { id: big.id } })).rejects.toMatchObject({
      code: 'payload_too_large',
    });
    await expect(getMessage({ ctx, input: { id: 'x' } })).rejects.toMatchObject({
      code: 'bad_request',
    });
  });
});

describe('bodyHeaderFields (what the list shows and searches)', () => {
  it('reads Message-ID and a decoded Subject from the header block only', () => {
    const f = bodyHeaderFields(
      Buffer.from(
        'Subject: =?utf-8?b?w6l0w6k=?=\r\n  and more\r\nMessage-Id:\r\n <a.b@c>\r\n\r\nMessage-ID: <body@x>\r\n',
      ),
    );
    expect(f).toEqual({ messageId: '<a.b@c>', subject: 'été and more' });
    expect(bodyHeaderFields(Buffer.from('Message-ID: bare@id\n\nbody'))).toEqual({
      messageId: '<bare@id>',
      subject: null,
    });
    expect(bodyHeaderFields(Buffer.from('\r\nMessage-ID: <in-body@x>\r\n'))).toEqual({
      messageId: null,
      subject: null,
    });
    expect(bodyHeaderFields(Buffer.alloc(0))).toEqual({ messageId: null, subject: null });
  });

  it('stays bounded on a header block that never ends', () => {
    const f = bodyHeaderFields(Buffer.from(`Subject: ${'x'.repeat(5_000_000)}`));
    expect(f.subject?.length).toBe(500);
    expect(f.messageId).toBeNull();
  });
});
