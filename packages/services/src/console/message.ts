import {
  type DbOrTx,
  getTransactionWithBody,
  readBlob,
  readBlobStream,
  type schema,
} from '@koukan/db';
import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser';
import type { ServiceCall } from '../context.ts';
import { AppError, fieldError, parseInput } from '../errors.ts';
import { transactionNotFound } from './detail.ts';
import {
  type AttachmentContent,
  type AttachmentInput,
  attachmentInputSchema,
  MESSAGE_PARSE_MAX_BYTES,
  type MessageAddress,
  type MessageInput,
  messageInputSchema,
  type ParsedMessage,
  type RawMessage,
} from './message-schema.ts';

/** The transaction's stored rfc822 body, or the error that says why there is none to show. */
async function storedBody(db: DbOrTx, id: string): Promise<schema.Blob> {
  const found = await getTransactionWithBody(db, id);
  if (!found) throw transactionNotFound(id);
  const { transaction, bodyBlob } = found;
  if (transaction.bodySpec && !bodyBlob) {
    throw new AppError(
      'unprocessable',
      'this body is message-builder JSON, built into a message at each delivery; no message is stored',
      { details: [{ field: 'id', message: 'message-builder body' }] },
    );
  }
  if (!bodyBlob) {
    throw fieldError('not_found', `transaction ${id} has no body`, 'id', 'no body');
  }
  if (bodyBlob.status !== 'finalized') {
    const of = bodyBlob.expectedSize === null ? '' : ` of ${bodyBlob.expectedSize}`;
    throw new AppError(
      'conflict',
      `the body is not uploaded yet (${bodyBlob.size}${of} bytes received)`,
      { details: [{ field: 'id', message: 'body upload in progress' }] },
    );
  }
  return bodyBlob;
}

async function parseStored(
  db: DbOrTx,
  id: string,
): Promise<{ blob: schema.Blob; mail: ParsedMail | null; warnings: string[] }> {
  return parseBlob(db, await storedBody(db, id));
}

/**
 * A finalized message blob parsed with mailparser (`payload_too_large` above
 * MESSAGE_PARSE_MAX_BYTES); broken MIME gives `mail: null` and a warning. Shared by the
 * transaction and sandbox message views.
 */
export async function parseBlob(
  db: DbOrTx,
  blob: schema.Blob,
): Promise<{ blob: schema.Blob; mail: ParsedMail | null; warnings: string[] }> {
  if (blob.size > MESSAGE_PARSE_MAX_BYTES) {
    throw new AppError(
      'payload_too_large',
      `the body is ${blob.size} bytes; at most ${MESSAGE_PARSE_MAX_BYTES} are parsed for display — download it raw`,
      { details: [{ field: 'id', message: 'body too large to display' }] },
    );
  }
  const bytes = await readBlob(db, blob.id);
  try {
    const mail = await simpleParser(bytes, {
      skipImageLinks: true,
      skipTextToHtml: true,
      skipTextLinks: true,
      maxHtmlLengthToParse: MESSAGE_PARSE_MAX_BYTES,
    });
    return { blob, mail, warnings: [] };
  } catch (err) {
    return {
      blob,
      mail: null,
      warnings: [`the MIME structure could not be parsed: ${(err as Error).message}`],
    };
  }
}

/**
 * The stored body of a transaction, parsed for display. `conflict` while the body is not yet
 * uploaded, `payload_too_large` above MESSAGE_PARSE_MAX_BYTES (download it raw instead),
 * `not_found` when there is no such transaction or it has no body, `unprocessable` for a
 * message-builder body (never stored as a message). Broken MIME is shown as far as it parses.
 */
export async function getMessage({
  ctx,
  input,
}: ServiceCall<MessageInput>): Promise<ParsedMessage> {
  const { id } = parseInput(messageInputSchema, input);
  return toParsedMessage(await parseStored(ctx.db, id));
}

/** What the message view shows of a parsed body. */
export function toParsedMessage({
  blob,
  mail,
  warnings,
}: {
  blob: schema.Blob;
  mail: ParsedMail | null;
  warnings: string[];
}): ParsedMessage {
  if (!mail) {
    return {
      size: blob.size,
      headers: [],
      from: [],
      to: [],
      cc: [],
      subject: null,
      date: null,
      messageId: null,
      text: null,
      html: null,
      attachments: [],
      warnings,
    };
  }
  return {
    size: blob.size,
    headers: mail.headerLines.map((h) => ({ key: h.key, value: unfoldedValue(h.line) })),
    from: addresses(mail.from),
    to: addresses(mail.to),
    cc: addresses(mail.cc),
    subject: mail.subject ?? null,
    date: mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date.toISOString() : null,
    messageId: mail.messageId ?? null,
    text: mail.text ?? null,
    html: typeof mail.html === 'string' ? mail.html : null,
    attachments: mail.attachments.map((a, index) => ({
      index,
      filename: a.filename ?? null,
      contentType: a.contentType,
      size: a.size ?? a.content.length,
      contentId: a.contentId ?? null,
      disposition:
        a.contentDisposition === 'inline' || a.contentDisposition === 'attachment'
          ? a.contentDisposition
          : null,
    })),
    warnings,
  };
}

/** The stored body as bytes, for download. Same errors as getMessage, without the size cap. */
export async function getRawMessage({
  ctx,
  input,
}: ServiceCall<MessageInput>): Promise<RawMessage> {
  const { id } = parseInput(messageInputSchema, input);
  const blob = await storedBody(ctx.db, id);
  return {
    stream: readBlobStream(ctx.db, blob.id),
    size: blob.size,
    contentType: 'message/rfc822',
    filename: `${id}.eml`,
  };
}

/** One attachment of the parsed body, by its `index` in ParsedMessage.attachments. */
export async function getAttachment({
  ctx,
  input,
}: ServiceCall<AttachmentInput>): Promise<AttachmentContent> {
  const { id, index } = parseInput(attachmentInputSchema, input);
  const { mail } = await parseStored(ctx.db, id);
  return attachmentOf(mail, index);
}

/** One attachment of a parsed body, by its index in ParsedMessage.attachments. */
export function attachmentOf(mail: ParsedMail | null, index: number): AttachmentContent {
  const a = mail?.attachments[index];
  if (!a) {
    throw new AppError('not_found', `the message has no attachment ${index}`, {
      details: [{ field: 'index', message: 'no such attachment' }],
    });
  }
  return {
    filename: a.filename ?? `attachment-${index}`,
    contentType: a.contentType,
    size: a.content.length,
    content: a.content,
  };
}

function unfoldedValue(line: string): string {
  const colon = line.indexOf(':');
  return (colon >= 0 ? line.slice(colon + 1) : line).replace(/\r?\n[ \t]+/g, ' ').trim();
}

function addresses(value: AddressObject | AddressObject[] | undefined): MessageAddress[] {
  const out: MessageAddress[] = [];
  for (const obj of [value ?? []].flat()) {
    for (const a of obj.value) {
      if (a.address) out.push({ name: a.name ?? '', address: a.address });
      for (const g of a.group ?? []) {
        if (g.address) out.push({ name: g.name ?? '', address: g.address });
      }
    }
  }
  return out;
}
