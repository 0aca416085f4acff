import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import MailComposer, { type MailComposerOptions } from 'nodemailer/lib/mail-composer';
import type { BlobReader, BodySource } from '../types.ts';
import type { MessageBuilderSpec, PartContent } from './schema.ts';

export type BuildOptions = {
  /** supplies create_id / reuse_uri part content */
  blobs?: BlobReader;
  /** domain of generated Message-IDs */
  messageIdDomain?: string;
  keepBcc?: boolean;
  now?: () => Date;
};

type Resolved = string | Buffer | Readable;

async function resolveContent(c: PartContent, blobs: BlobReader | undefined): Promise<Resolved> {
  if ('inline' in c) return c.encoding === 'base64' ? Buffer.from(c.inline, 'base64') : c.inline;
  if (!blobs) throw new Error('message builder needs a blob reader for create_id/reuse_uri parts');
  return await blobs.open(c);
}

const addr = (list: { address: string; name?: string | undefined }[] | undefined) =>
  list?.map((a) => ({ address: a.address, name: a.name ?? '' }));

/**
 * Turn message-builder JSON into an RFC 822 body. The Message-ID, Date and MIME boundaries are
 * fixed once, so every `open()` streams the same bytes (a DKIM signature stays valid); part
 * content from blobs is opened afresh for each stream, so nothing is held in memory.
 */
export function buildMessage(spec: MessageBuilderSpec, opts: BuildOptions = {}): BodySource {
  const now = opts.now ?? (() => new Date());
  const date = spec.date ? new Date(spec.date) : now();
  const messageId =
    spec.message_id ??
    `${randomBytes(12).toString('hex')}@${opts.messageIdDomain ?? 'koukan.invalid'}`;
  const baseBoundary = randomBytes(8).toString('hex');

  async function composerOptions(): Promise<MailComposerOptions> {
    const text = spec.text ? await resolveContent(spec.text.content, opts.blobs) : undefined;
    const html = spec.html ? await resolveContent(spec.html.content, opts.blobs) : undefined;
    const attachments: NonNullable<MailComposerOptions['attachments']> = [];
    for (const p of spec.related) {
      attachments.push({
        cid: p.content_id,
        contentType: p.content_type,
        ...(p.filename ? { filename: p.filename } : { filename: false }),
        content: await resolveContent(p.content, opts.blobs),
      });
    }
    for (const p of spec.attachments) {
      attachments.push({
        filename: p.filename,
        ...(p.content_type ? { contentType: p.content_type } : {}),
        contentDisposition: 'attachment',
        content: await resolveContent(p.content, opts.blobs),
      });
    }
    return {
      from: addr(spec.from),
      ...(spec.sender
        ? { sender: { address: spec.sender.address, name: spec.sender.name ?? '' } }
        : {}),
      to: addr(spec.to),
      cc: addr(spec.cc),
      bcc: addr(spec.bcc),
      replyTo: addr(spec.reply_to),
      ...(spec.subject !== undefined ? { subject: spec.subject } : {}),
      ...(spec.in_reply_to ? { inReplyTo: spec.in_reply_to } : {}),
      ...(spec.references
        ? { references: spec.references.map((r) => `<${r.replace(/^<|>$/g, '')}>`) }
        : {}),
      date,
      messageId: `<${messageId}>`,
      headers: spec.headers.map((h) => ({ key: h.name, value: h.value })),
      ...(text !== undefined ? { text } : {}),
      ...(html !== undefined ? { html } : {}),
      attachments,
      baseBoundary,
      xMailer: false,
      disableFileAccess: true,
      disableUrlAccess: true,
      newline: '\r\n',
    };
  }

  return {
    open: () =>
      Readable.from(
        (async function* () {
          const composer = new MailComposer(await composerOptions());
          const node = composer.compile();
          if (opts.keepBcc) node.keepBcc = true;
          yield* node.createReadStream();
        })(),
      ),
  };
}
