import { MAX_HEADER_BYTES } from '@koukan/protocol/schemas';
import { z } from 'zod';

// C0 controls but TAB, and DEL: never part of a header (CR or LF would start a header of its
// own, NUL breaks storage and parsers, ESC and the rest are terminal tricks).
// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point
const CONTROL_OR_TAB = /[\u0000-\u001f\u007f]/;

/** Header text (TAB allowed, as in folded header values). */
const headerText = z.string().refine((v) => !CONTROL.test(v), {
  error: 'control characters (CR, LF, NUL, …) are not allowed in a header',
});
/** A token that lands in a header or a MIME parameter: no control character, not even TAB. */
const noControls = (s: z.ZodString) =>
  s.refine((v) => !CONTROL_OR_TAB.test(v), { error: 'control characters are not allowed' });

/** Part content: inline text (or base64), an upload to come (`create_id`), or a reused blob. */
export const partContentSchema = z.union([
  z.strictObject({ inline: z.string(), encoding: z.enum(['utf8', 'base64']).default('utf8') }),
  z.strictObject({ create_id: noControls(z.string().min(1).max(200)) }),
  z.strictObject({ reuse_uri: noControls(z.string().min(1).max(2048)) }),
]);

export const addressSchema = z.strictObject({
  // No whitespace, angle brackets, commas, semicolons, quotes or parentheses: nodemailer's
  // address parser would read those as a list or a display name and change the recipient.
  address: z
    .string()
    .regex(/^[^\s@<>,;"()]+@[^\s@<>,;"()]+$/, { error: 'expected an email address' })
    .max(998)
    .refine((v) => !CONTROL_OR_TAB.test(v), { error: 'control characters are not allowed' }),
  name: headerText.optional(),
});

const addressList = z.array(addressSchema).min(1);

const mimeType = z.string().regex(/^[\w.+-]+\/[\w.+-]+$/, { error: 'expected a MIME type' });

const headerName = z
  .string()
  .regex(/^[!-9;-~]+$/, { error: 'expected a header field name' })
  .refine((n) => !RESERVED_HEADERS.has(n.toLowerCase()), {
    error: 'use the dedicated field for this header',
  });

export const RESERVED_HEADERS = new Set([
  'from',
  'sender',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'subject',
  'date',
  'message-id',
  'in-reply-to',
  'references',
  'content-type',
  'content-transfer-encoding',
  'mime-version',
]);

export const bodyPartSchema = z.strictObject({
  content: partContentSchema,
});

export const relatedPartSchema = z.strictObject({
  /** Content-ID without angle brackets, referenced as `cid:` from the HTML */
  content_id: noControls(
    z
      .string()
      .min(1)
      .max(998)
      .regex(/^[^<>\s]+$/, { error: 'Content-ID without <>' }),
  ),
  content_type: mimeType,
  filename: noControls(z.string().min(1).max(255)).optional(),
  content: partContentSchema,
});

export const attachmentSchema = z.strictObject({
  filename: noControls(z.string().min(1).max(255)),
  content_type: mimeType.optional(),
  content: partContentSchema,
  /** for `message/rfc822` attachments produced by the parser: the nested message (informative) */
  message: z.unknown().optional(),
});

/** The message-builder JSON body (DESIGN.md §6); `message_parser` produces the same shape. */
const messageBuilderObject = z.strictObject({
  from: addressList.optional(),
  sender: addressSchema.optional(),
  to: addressList.optional(),
  cc: addressList.optional(),
  bcc: addressList.optional(),
  reply_to: addressList.optional(),
  subject: headerText.optional(),
  /** ISO 8601 date-time with offset; defaults to the build time */
  date: z.iso.datetime({ offset: true }).optional(),
  /** Message-ID without angle brackets; generated when absent */
  message_id: noControls(
    z
      .string()
      .max(998)
      .regex(/^[^<>\s]+@[^<>\s]+$/, { error: 'expected id@domain' }),
  ).optional(),
  in_reply_to: headerText.optional(),
  references: z.array(headerText.min(1)).optional(),
  /** custom headers, UTF-8 values (encoded as needed) */
  headers: z.array(z.strictObject({ name: headerName, value: headerText })).default([]),
  text: bodyPartSchema.optional(),
  html: bodyPartSchema.optional(),
  related: z.array(relatedPartSchema).default([]),
  attachments: z.array(attachmentSchema).default([]),
});

export const messageBuilderSchema = messageBuilderObject
  .refine((m) => m.text || m.html || m.attachments.length > 0, {
    error: 'a message needs text, html or an attachment',
    path: ['text'],
  })
  .refine((m) => m.related.length === 0 || m.html, {
    error: 'related parts need an html body',
    path: ['related'],
  })
  .refine((m) => headerBytes(m) <= MAX_HEADER_BYTES, {
    error: `the header fields come to over ${MAX_HEADER_BYTES} bytes`,
    path: ['headers'],
  });

/**
 * A lower bound of the header section the builder renders: the same limit as a body uploaded
 * whole (`413`) or sent by SMTP (`552 5.3.4`), so a built message cannot be refused downstream.
 */
function headerBytes(m: z.output<typeof messageBuilderObject>): number {
  const texts = [m.subject, m.in_reply_to, m.message_id, ...(m.references ?? [])];
  for (const list of [m.from, m.to, m.cc, m.bcc, m.reply_to, m.sender && [m.sender]])
    for (const a of list ?? []) texts.push(a.address, a.name);
  for (const h of m.headers) texts.push(h.name, h.value);
  return texts.reduce((n, t) => n + (t ? Buffer.byteLength(t) + 4 : 0), 0);
}

export type MessageBuilderSpec = z.output<typeof messageBuilderSchema>;
export type MessageBuilderInput = z.input<typeof messageBuilderSchema>;
export type PartContent = z.output<typeof partContentSchema>;
export type BlobRef = { create_id: string } | { reuse_uri: string };

/** Every blob the message needs (create_id uploads and reused URIs), with its JSON path. */
export function builderBlobRefs(
  spec: MessageBuilderSpec,
): { path: (string | number)[]; ref: BlobRef }[] {
  const out: { path: (string | number)[]; ref: BlobRef }[] = [];
  const visit = (c: PartContent, path: (string | number)[]) => {
    if ('create_id' in c) out.push({ path, ref: { create_id: c.create_id } });
    else if ('reuse_uri' in c) out.push({ path, ref: { reuse_uri: c.reuse_uri } });
  };
  if (spec.text) visit(spec.text.content, ['text', 'content']);
  if (spec.html) visit(spec.html.content, ['html', 'content']);
  for (const [i, p] of spec.related.entries()) visit(p.content, ['related', i, 'content']);
  for (const [i, p] of spec.attachments.entries()) visit(p.content, ['attachments', i, 'content']);
  return out;
}
