import { type AddressObject, simpleParser } from 'mailparser';

export interface Mailbox {
  address: string;
  name?: string;
}

/** The parsed message, as this receiver prints it (attachment contents left out). */
export interface ParsedMessage {
  message_id: string | null;
  date: string | null;
  subject: string | null;
  from: Mailbox[];
  to: Mailbox[];
  cc: Mailbox[];
  reply_to: Mailbox[];
  in_reply_to: string | null;
  references: string[];
  text: string | null;
  html: string | null;
  attachments: {
    filename: string | null;
    content_type: string;
    size: number;
    content_id: string | null;
    disposition: string | null;
    sha256: string;
  }[];
  /** Every header field, lower-case name → values in message order. */
  headers: Record<string, string[]>;
}

function mailboxes(field: AddressObject | AddressObject[] | undefined): Mailbox[] {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return objects.flatMap((o) =>
    o.value.flatMap((a) => {
      // a group ("undisclosed-recipients:;") lists its members
      const members = a.group ?? [a];
      return members
        .filter((m) => m.address)
        .map((m) => ({ address: m.address!, ...(m.name && { name: m.name }) }));
    }),
  );
}

/** Parses an RFC 5322 message (MIME, encodings and charsets decoded by mailparser). */
export async function parseMessage(raw: Buffer): Promise<ParsedMessage> {
  const m = await simpleParser(raw, {
    skipImageLinks: true,
    skipTextToHtml: true,
    checksumAlgo: 'sha256',
  });
  const headers: Record<string, string[]> = {};
  for (const line of m.headerLines) {
    const value = line.line.slice(line.line.indexOf(':') + 1).trim();
    headers[line.key] = [...(headers[line.key] ?? []), value.replace(/\r?\n[ \t]+/g, ' ')];
  }
  const references = m.references === undefined ? [] : [m.references].flat();
  return {
    message_id: m.messageId ?? null,
    date: m.date && !Number.isNaN(m.date.getTime()) ? m.date.toISOString() : null,
    subject: m.subject ?? null,
    from: mailboxes(m.from),
    to: mailboxes(m.to),
    cc: mailboxes(m.cc),
    reply_to: mailboxes(m.replyTo),
    in_reply_to: m.inReplyTo ?? null,
    references,
    text: m.text ?? null,
    html: typeof m.html === 'string' ? m.html : null,
    attachments: m.attachments.map((a) => ({
      filename: a.filename ?? null,
      content_type: a.contentType,
      size: a.size,
      content_id: a.contentId ?? null,
      disposition: a.contentDisposition ?? null,
      sha256: a.checksum,
    })),
    headers,
  };
}
