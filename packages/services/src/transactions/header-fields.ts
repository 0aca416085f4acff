import { type DbOrTx, readBlobHead } from '@koukan/db';
import { MAX_HEADER_BYTES } from '@koukan/protocol/schemas';
import libmime from 'libmime';
import { fieldError } from '../errors.ts';
import type { CreateTransactionRequest } from './schemas.ts';

/** How much of a body's start is searched for its header block. */
export const HEADER_SCAN_BYTES = 64 * 1024;
const MESSAGE_ID_MAX = 998;
const SUBJECT_MAX = 500;

export interface BodyHeaderFields {
  /** `<id@domain>` as in the header (angle brackets added when missing); null when absent. */
  messageId: string | null;
  /** Decoded (RFC 2047) and unfolded; null when absent. */
  subject: string | null;
}

/** Refuses (413 naming `field`) a body whose header section `within` found over MAX_HEADER_BYTES. */
export function checkHeaderSection(within: boolean, field: string): void {
  if (within) return;
  const message = `header section over ${MAX_HEADER_BYTES} bytes`;
  throw fieldError('payload_too_large', `the body's ${message}`, field, message);
}

/**
 * The Message-ID and Subject of a message from the first bytes of its body (at most
 * HEADER_SCAN_BYTES are looked at; a header block that does not end there is read as far as it
 * goes). Never throws: a malformed header yields nulls.
 */
export function bodyHeaderFields(head: Buffer | Uint8Array): BodyHeaderFields {
  const bytes = Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, HEADER_SCAN_BYTES));
  const text = bytes.toString('latin1');
  const end = /^\r?\n|\r?\n\r?\n/.exec(text);
  const block = Buffer.from(end ? text.slice(0, end.index) : text, 'latin1').toString('utf8');
  let messageId: string | null = null;
  let subject: string | null = null;
  for (const { name, value } of unfold(block)) {
    const n = name.toLowerCase();
    if (n === 'message-id' && messageId === null) messageId = normaliseMessageId(value);
    else if (n === 'subject' && subject === null) subject = decodeSubject(value);
    if (messageId !== null && subject !== null) break;
  }
  return { messageId, subject };
}

/** `<id@domain>` from a Message-ID header value or a user's search input; null if empty. */
export function normaliseMessageId(value: string): string | null {
  const v = value.trim();
  const bracketed = /<([^<>\s]+)>/.exec(v);
  const id = bracketed ? bracketed[1]! : (v.split(/\s+/)[0] ?? '').replace(/^<|>$/g, '');
  if (!id) return null;
  return `<${id}>`.slice(0, MESSAGE_ID_MAX);
}

function decodeSubject(value: string): string {
  let decoded = value;
  try {
    decoded = libmime.decodeWords(value);
  } catch {
    // A broken encoded-word is shown as it was written.
  }
  return decoded.replace(/[\r\n\t]+/g, ' ').slice(0, SUBJECT_MAX);
}

function* unfold(block: string): Generator<{ name: string; value: string }> {
  let current: { name: string; value: string } | null = null;
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && current) {
      current.value += ` ${line.trim()}`;
      continue;
    }
    if (current) yield current;
    const colon = line.indexOf(':');
    current =
      colon > 0 ? { name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() } : null;
  }
  if (current) yield current;
}

const none: BodyHeaderFields = { messageId: null, subject: null };

/**
 * The header fields of a body as a create stores it: parsed from an inline or reused rfc822
 * body, taken from a message-builder spec (a Message-ID the builder generates at delivery is
 * not known yet), none for a body still to be uploaded (the upload stores them).
 */
export async function headerFieldsAtCreate(
  db: DbOrTx,
  body: CreateTransactionRequest['body'],
  inline: Buffer | undefined,
  bodyBlobId: string | null,
): Promise<BodyHeaderFields> {
  if (body && 'message_builder' in body) {
    const spec = body.message_builder;
    return {
      messageId: spec.message_id ? normaliseMessageId(spec.message_id) : null,
      subject: spec.subject ? decodeSubject(spec.subject) : null,
    };
  }
  if (inline) return bodyHeaderFields(inline);
  if (body && 'reuse_uri' in body && bodyBlobId) {
    return bodyHeaderFields(await readBlobHead(db, bodyBlobId, HEADER_SCAN_BYTES));
  }
  return none;
}
