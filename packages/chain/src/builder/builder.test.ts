import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { streamToBuffer } from '../body.ts';
import type { BlobReader, BlobWriter } from '../types.ts';
import { buildMessage } from './build.ts';
import { generated } from './generated.ts';
import { parseMessage } from './parse.ts';
import { builderBlobRefs, type MessageBuilderSpec, messageBuilderSchema } from './schema.ts';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

const fullSpec = () =>
  messageBuilderSchema.parse({
    from: [{ address: 'zoe@example.com', name: 'Zoë Ærøskøbing' }],
    to: [{ address: 'bob@example.net', name: '山田 太郎' }, { address: 'c@example.org' }],
    cc: [{ address: 'd@example.org', name: 'Ďavid, Jr.' }],
    reply_to: [{ address: 'replies@example.com' }],
    subject: 'Grüße — 日本語のテスト 🎉 with a subject long enough to be folded over several lines',
    date: '2026-11-30T10:00:00.000Z',
    message_id: 'rt-1@example.com',
    in_reply_to: 'earlier@example.com',
    references: ['first@example.com', 'earlier@example.com'],
    headers: [
      { name: 'X-Note', value: 'naïve ✓' },
      { name: 'List-Id', value: 'Koukan tests <tests.koukan.test>' },
    ],
    text: { content: { inline: 'Hej då! Ça va? 你好\n\nSecond paragraph — with “quotes”.\n' } },
    html: { content: { inline: '<p>Hej då! 你好 <img src="cid:logo@koukan"></p>' } },
    related: [
      {
        content_id: 'logo@koukan',
        content_type: 'image/png',
        content: { inline: b64('\x89PNG\r\n\x1a\nfake'), encoding: 'base64' },
      },
    ],
    attachments: [
      {
        filename: 'résumé 履歴書.pdf',
        content_type: 'application/pdf',
        content: { inline: b64('%PDF-1.4 fake'), encoding: 'base64' },
      },
      {
        filename: 'notes ü.txt',
        content_type: 'text/plain',
        content: { inline: 'plain ü attachment\n' },
      },
    ],
  });

/** Strip what legitimately differs between a spec and its parse (inline encoding, nested parse). */
function normalise(spec: MessageBuilderSpec) {
  const content = (c: MessageBuilderSpec['attachments'][number]['content']) =>
    'inline' in c
      ? (c.encoding === 'base64'
          ? Buffer.from(c.inline, 'base64')
          : Buffer.from(c.inline)
        ).toString('hex')
      : c;
  return {
    ...spec,
    text: spec.text && content(spec.text.content),
    html: spec.html && content(spec.html.content),
    related: spec.related.map((p) => ({ ...p, content: content(p.content) })),
    attachments: spec.attachments.map(({ message: _m, ...p }) => ({
      ...p,
      content: content(p.content),
    })),
    // header names are case-insensitive (nodemailer writes List-Id as List-ID)
    headers: spec.headers.map((h) => ({ name: h.name.toLowerCase(), value: h.value })),
  };
}

describe('message builder → parser round trip', () => {
  it('keeps addresses, non-ASCII names, subject, filenames, headers and content', async () => {
    const spec = fullSpec();
    const raw = await streamToBuffer(buildMessage(spec).open());
    expect(raw.toString('latin1')).toMatch(/^Subject: =\?UTF-8\?/m); // encoded, 7-bit clean headers
    const parsed = await parseMessage(Readable.from([raw]));
    expect(normalise(parsed)).toEqual(normalise(spec));
    // parse → build → parse is a fixed point
    const again = await parseMessage(buildMessage(parsed).open());
    expect(normalise(again)).toEqual(normalise(parsed));
  });

  it('streams identical bytes on every open (stable boundaries, Message-ID and Date)', async () => {
    const spec = { ...fullSpec(), message_id: undefined, date: undefined };
    const body = buildMessage(spec, { messageIdDomain: 'mx.koukan.test' });
    const [a, b] = await Promise.all([streamToBuffer(body.open()), streamToBuffer(body.open())]);
    expect(a.equals(b)).toBe(true);
    expect(a.toString()).toMatch(/^Message-ID: <[0-9a-f]{24}@mx\.koukan\.test>/m);
  });

  it('parses nested messages and multipart/signed', async () => {
    const inner =
      'From: a@b.test\r\nSubject: inner ü\r\nContent-Type: text/plain; charset=utf-8\r\n\r\ninner body\r\n';
    const spec = messageBuilderSchema.parse({
      from: [{ address: 'a@example.com' }],
      text: { content: { inline: 'see attached' } },
      attachments: [
        { filename: 'fwd.eml', content_type: 'message/rfc822', content: { inline: inner } },
      ],
    });
    const parsed = await parseMessage(buildMessage(spec).open());
    expect(parsed.attachments[0]).toMatchObject({
      filename: 'fwd.eml',
      content_type: 'message/rfc822',
    });
    expect(parsed.attachments[0]!.message).toMatchObject({
      subject: 'inner ü',
      text: { content: { inline: 'inner body\n' } },
    });

    const signed = [
      'From: s@example.com',
      'Subject: signed',
      'MIME-Version: 1.0',
      'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="sig"',
      '',
      '--sig',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'signed text',
      '--sig',
      'Content-Type: application/pkcs7-signature; name="smime.p7s"',
      'Content-Transfer-Encoding: base64',
      'Content-Disposition: attachment; filename="smime.p7s"',
      '',
      b64('not a real signature'),
      '--sig--',
      '',
    ].join('\r\n');
    const p2 = await parseMessage(Readable.from([Buffer.from(signed)]));
    expect(p2.text?.content).toMatchObject({ inline: 'signed text' });
    expect(p2.attachments).toMatchObject([
      { filename: 'smime.p7s', content_type: 'application/pkcs7-signature' },
    ]);
  });

  it('rejects bad JSON early with the field path', () => {
    const r = messageBuilderSchema.safeParse({
      to: [{ address: 'ok@example.com' }, { address: 'not an address' }],
      headers: [{ name: 'Subject', value: 'use the field' }],
      text: { content: { inline: 1 } },
      related: [{ content_id: '<x>', content_type: 'image/png', content: { create_id: 'a' } }],
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(
      expect.arrayContaining([
        'to.1.address',
        'headers.0.name',
        'text.content',
        'related.0.content_id',
      ]),
    );
  });

  it('lists the blobs a message needs', () => {
    const spec = messageBuilderSchema.parse({
      html: { content: { inline: '<img src="cid:a">' } },
      related: [{ content_id: 'a', content_type: 'image/png', content: { create_id: 'img1' } }],
      attachments: [{ filename: 'x.bin', content: { reuse_uri: '/v1/transactions/1/blob/2' } }],
    });
    expect(builderBlobRefs(spec)).toEqual([
      { path: ['related', 0, 'content'], ref: { create_id: 'img1' } },
      { path: ['attachments', 0, 'content'], ref: { reuse_uri: '/v1/transactions/1/blob/2' } },
    ]);
  });
});

// ---------------------------------------------------------------- 10 MB, streamed

const TEN_MB = 10 * 1024 * 1024;

/** Deterministic bytes, generated in 64 KiB chunks (never held whole). */

async function sha256(stream: Readable) {
  const h = createHash('sha256');
  let size = 0;
  for await (const c of stream) {
    h.update(c as Buffer);
    size += (c as Buffer).length;
  }
  return { hash: h.digest('hex'), size };
}

describe('10 MB attachment', () => {
  it('streams: live memory stays flat whatever the attachment size', async () => {
    // Measured in a child process (its own heap, a forced GC at every MiB of message): the
    // median of the samples. Streaming stays near 2.5 MiB for 20 MB; an implementation that
    // held the attachment would grow towards 20 MiB, a median of about 10 MiB.
    const child = fileURLToPath(new URL('./roundtrip.child.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', child, '20'],
      { maxBuffer: 1 << 20 },
    );
    const report = JSON.parse(stdout) as { bytes: number; samples: number[] };
    const sorted = [...report.samples].sort((a, b) => a - b);
    const medianKiB = sorted[Math.floor(sorted.length / 2)] ?? Number.POSITIVE_INFINITY;
    console.warn(
      `20 MB attachment round trip: median live growth ${(medianKiB / 1024).toFixed(1)} MiB over ${sorted.length} samples`,
    );
    expect(report.bytes).toBeGreaterThan(20 * 1024 * 1024 * 1.3);
    expect(sorted.length).toBeGreaterThan(20);
    expect(medianKiB).toBeLessThan(5 * 1024);
  }, 120_000);

  it('round-trips builder → parser → builder → parser, the attachment streamed to a blob', async () => {
    const expected = await sha256(generated(TEN_MB));
    // real implementations of the blob ports: the reader generates, the writer hashes
    const stored = new Map<string, { hash: string; size: number }>();
    const reader: BlobReader = { open: () => generated(TEN_MB) };
    const writer: BlobWriter = {
      async put(content) {
        const r = await sha256(content);
        stored.set(`blob:${r.hash}`, r);
        return `blob:${r.hash}`;
      },
    };
    const spec = messageBuilderSchema.parse({
      from: [{ address: 'a@example.com' }],
      subject: 'big one',
      text: { content: { inline: 'a big attachment follows' } },
      attachments: [
        {
          filename: 'grosse Datei ü.bin',
          content_type: 'application/octet-stream',
          content: { create_id: 'big' },
        },
      ],
    });

    let bytes = 0;
    const counted = buildMessage(spec, { blobs: reader }).open();
    counted.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    const parsed = await parseMessage(counted, { blobWriter: writer, inlineLimit: 64 * 1024 });
    expect(bytes).toBeGreaterThan(TEN_MB * 1.3); // base64 on the wire

    const att = parsed.attachments[0]!;
    expect(att.filename).toBe('grosse Datei ü.bin');
    expect(att.content).toEqual({ reuse_uri: `blob:${expected.hash}` });
    expect(stored.get(`blob:${expected.hash}`)).toEqual(expected);

    // and back: build from the parsed JSON (reusing the blob) and parse once more
    const again = await parseMessage(buildMessage(parsed, { blobs: reader }).open(), {
      blobWriter: writer,
    });
    expect(again.attachments[0]!.content).toEqual({ reuse_uri: `blob:${expected.hash}` });
  }, 60_000);
});
