import { PassThrough, Readable } from 'node:stream';
import libmime from 'libmime';
import {
  type AddressObject,
  type AttachmentStream,
  type EmailAddress,
  type HeaderValue,
  MailParser,
  type MessageText,
} from 'mailparser';
import type { BlobWriter } from '../types.ts';
import { type MessageBuilderSpec, type PartContent, RESERVED_HEADERS } from './schema.ts';

export type ParseOptions = {
  /** parts up to this many bytes stay inline (base64); larger ones go to `blobWriter` */
  inlineLimit?: number;
  /** stores large parts; without it every part stays inline */
  blobWriter?: BlobWriter;
  /** nested messages up to this size are parsed into `message` */
  nestedLimit?: number;
  /** nesting depth still parsed */
  depth?: number;
};

type Address = { address: string; name?: string };

function flatten(list: EmailAddress[]): Address[] {
  return list.flatMap((a) =>
    a.group
      ? flatten(a.group)
      : a.address
        ? [{ address: a.address, ...(a.name ? { name: a.name } : {}) }]
        : [],
  );
}

function addresses(v: HeaderValue | undefined): Address[] | undefined {
  if (!v) return undefined;
  const objs = (Array.isArray(v) ? v : [v]) as AddressObject[];
  const out = objs.flatMap((o) => (o && Array.isArray(o.value) ? flatten(o.value) : []));
  return out.length ? out : undefined;
}

const unbracket = (s: string) => s.trim().replace(/^<|>$/g, '');

/** Read a part: inline when it fits `limit`, otherwise streamed to the blob writer. */
async function readPart(
  content: Readable,
  meta: { content_type?: string; filename?: string },
  limit: number,
  writer: BlobWriter | undefined,
): Promise<{ content: PartContent; buffer?: Buffer }> {
  const chunks: Buffer[] = [];
  let size = 0;
  const it = content[Symbol.asyncIterator]();
  while (true) {
    const next = await it.next();
    if (next.done) {
      const buffer = Buffer.concat(chunks);
      return { content: { inline: buffer.toString('base64'), encoding: 'base64' }, buffer };
    }
    const chunk = next.value as Buffer;
    chunks.push(chunk);
    size += chunk.length;
    if (writer && size > limit) break;
  }
  // too big to inline: hand the buffered head and the rest of the stream to the writer
  const pass = new PassThrough();
  const pump = (async () => {
    for (const c of chunks) if (!pass.write(c)) await new Promise((r) => pass.once('drain', r));
    chunks.length = 0;
    for (let n = await it.next(); !n.done; n = await it.next()) {
      if (!pass.write(n.value)) await new Promise((r) => pass.once('drain', r));
    }
    pass.end();
  })();
  const [uri] = await Promise.all([writer!.put(pass, meta), pump]);
  return { content: { reuse_uri: uri } };
}

/** Parse RFC 822 into the message-builder JSON shape (attachments above the limit as blobs). */
export async function parseMessage(
  input: Readable,
  opts: ParseOptions = {},
): Promise<MessageBuilderSpec> {
  const limit = opts.inlineLimit ?? 64 * 1024;
  const depth = opts.depth ?? 3;
  const parser = new MailParser({
    skipTextToHtml: true,
    skipHtmlToText: true,
    checksumAlgo: false,
  });
  const spec: MessageBuilderSpec = { headers: [], related: [], attachments: [] };
  const work: Promise<void>[] = [];

  parser.on('headers', (headers: Map<string, HeaderValue>) => {
    const lines = parser.headerLines || [];
    const seen = new Map<string, number>();
    for (const { key, line } of lines) {
      if (RESERVED_HEADERS.has(key)) continue;
      const n = seen.get(key) ?? 0;
      seen.set(key, n + 1);
      const v = headers.get(key);
      const value = Array.isArray(v) ? v[n] : v;
      const name = line.slice(0, line.indexOf(':')).trim();
      const rawValue = line
        .slice(line.indexOf(':') + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim();
      spec.headers.push({
        name,
        value: libmime.decodeWords(typeof value === 'string' ? value : rawValue),
      });
    }
    const set = <K extends 'from' | 'to' | 'cc' | 'bcc' | 'reply_to'>(k: K, h: string) => {
      const a = addresses(headers.get(h));
      if (a) spec[k] = a;
    };
    set('from', 'from');
    set('to', 'to');
    set('cc', 'cc');
    set('bcc', 'bcc');
    set('reply_to', 'reply-to');
    const sender = addresses(headers.get('sender'))?.[0];
    if (sender) spec.sender = sender;
    const subject = headers.get('subject');
    if (typeof subject === 'string') spec.subject = subject;
    const date = headers.get('date');
    if (date instanceof Date && !Number.isNaN(date.getTime())) spec.date = date.toISOString();
    const mid = headers.get('message-id');
    if (typeof mid === 'string' && /^<?[^<>\s]+@[^<>\s]+>?$/.test(mid.trim()))
      spec.message_id = unbracket(mid);
    const irt = headers.get('in-reply-to');
    if (typeof irt === 'string') spec.in_reply_to = unbracket(irt);
    const refs = headers.get('references');
    if (refs) spec.references = ([] as string[]).concat(refs as string | string[]).map(unbracket);
  });

  parser.on('data', (data: MessageText | AttachmentStream) => {
    if (data.type === 'text') {
      if (typeof data.text === 'string')
        spec.text = { content: { inline: data.text, encoding: 'utf8' } };
      if (typeof data.html === 'string')
        spec.html = { content: { inline: data.html, encoding: 'utf8' } };
      return;
    }
    const att = data;
    const index = spec.attachments.length + spec.related.length;
    const meta = {
      content_type: att.contentType,
      ...(att.filename ? { filename: att.filename } : {}),
    };
    const isNested = att.contentType === 'message/rfc822';
    const partLimit =
      isNested && depth > 0 ? Math.max(limit, opts.nestedLimit ?? 1024 * 1024) : limit;
    const p = readPart(att.content, meta, partLimit, opts.blobWriter).then(
      async ({ content, buffer }) => {
        att.release?.();
        if (att.related && att.cid) {
          spec.related.push({
            content_id: att.cid,
            content_type: att.contentType,
            ...(att.filename ? { filename: att.filename } : {}),
            content,
          });
          return;
        }
        const entry: MessageBuilderSpec['attachments'][number] = {
          filename: att.filename ?? `part-${index}${isNested ? '.eml' : ''}`,
          content_type: att.contentType,
          content,
        };
        if (isNested && buffer && depth > 0) {
          entry.message = await parseMessage(Readable.from([buffer]), {
            ...opts,
            depth: depth - 1,
          });
        }
        spec.attachments.push(entry);
      },
    );
    work.push(p);
  });

  await new Promise<void>((resolve, reject) => {
    parser.on('end', () => resolve());
    parser.on('error', reject);
    input.on('error', reject);
    input.pipe(parser);
  });
  await Promise.all(work);
  return spec;
}
