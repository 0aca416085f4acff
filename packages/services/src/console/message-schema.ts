import type { Readable } from 'node:stream';
import { z } from 'zod';

/** Bodies larger than this are not parsed for display (raw download still works). */
export const MESSAGE_PARSE_MAX_BYTES = 10 * 1024 * 1024;

export const messageInputSchema = z.strictObject({
  id: z.guid({ message: 'a transaction id (UUID)' }),
});
export type MessageInput = z.input<typeof messageInputSchema>;

export const attachmentInputSchema = z.strictObject({
  id: z.guid({ message: 'a transaction id (UUID)' }),
  index: z.coerce.number().int().min(0).max(10_000),
});
export type AttachmentInput = z.input<typeof attachmentInputSchema>;

export interface MessageAddress {
  name: string;
  address: string;
}

export interface AttachmentSummary {
  index: number;
  filename: string | null;
  contentType: string;
  size: number;
  contentId: string | null;
  /** `inline` parts are referenced from the HTML by Content-ID. */
  disposition: 'attachment' | 'inline' | null;
}

export interface ParsedMessage {
  /** Size of the stored body in bytes. */
  size: number;
  /** Every header line in order, as `{ key, value }` (value unfolded, not decoded). */
  headers: { key: string; value: string }[];
  from: MessageAddress[];
  to: MessageAddress[];
  cc: MessageAddress[];
  subject: string | null;
  date: string | null;
  messageId: string | null;
  text: string | null;
  /**
   * The HTML part as sent. Render it only in a sandboxed iframe with remote content blocked
   * (e.g. CSP `default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'`).
   */
  html: string | null;
  attachments: AttachmentSummary[];
  /** Problems met while parsing (broken MIME is shown as far as it parses, not refused). */
  warnings: string[];
}

export interface RawMessage {
  /** The stored bytes, streamed from the database chunk by chunk. */
  stream: Readable;
  size: number;
  contentType: 'message/rfc822';
  /** A suggested download name, e.g. `<id>.eml`. */
  filename: string;
}

export interface AttachmentContent {
  filename: string;
  contentType: string;
  size: number;
  content: Buffer;
}
