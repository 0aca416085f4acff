import { Readable } from 'node:stream';
import type { BodySource, HeaderField } from './types.ts';

/** A body over an in-memory buffer or string (tests, small generated messages). */
export function bodyFromBuffer(data: Buffer | string): BodySource {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return { open: () => Readable.from([buf]), size: buf.length };
}

/** Prepend header lines (CRLF added) without buffering the body: the original is re-streamed. */
export function prependHeaders(body: BodySource, lines: string[]): BodySource {
  const prefix = Buffer.from(lines.map((l) => `${l.replace(/\r?\n$/, '')}\r\n`).join(''), 'utf8');
  return {
    open: () =>
      Readable.from(
        (async function* () {
          yield prefix;
          yield* body.open();
        })(),
      ),
    ...(body.size === undefined ? {} : { size: body.size + prefix.length }),
  };
}

export async function streamToBuffer(stream: Readable, limit = Number.POSITIVE_INFINITY) {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > limit) {
      stream.destroy();
      throw new Error(`stream exceeds ${limit} bytes`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/**
 * The body for an HTTP upload: one Buffer when it has at most `max` bytes (the upload then goes
 * in one write with a Content-Length), else a stream of all of it (chunked). A body whose size
 * is unknown is read up to `max + 1` bytes to find out; what was read is not read again.
 */
export async function uploadBody(body: BodySource, max: number): Promise<Buffer | Readable> {
  if (body.size !== undefined && body.size > max) return body.open();
  const stream = body.open();
  const it = stream[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for (let next = await it.next(); !next.done; next = await it.next()) {
      const buf = typeof next.value === 'string' ? Buffer.from(next.value) : (next.value as Buffer);
      chunks.push(buf);
      size += buf.length;
      if (size > max) {
        const rest = { [Symbol.asyncIterator]: () => it };
        return Readable.from(
          (async function* () {
            yield* chunks;
            yield* rest;
          })(),
        );
      }
    }
  } catch (err) {
    stream.destroy();
    throw err;
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

const MAX_HEADER_BYTES = 1024 * 1024;

/** Read only the header block of a message (stops at the first empty line). */
export async function readHeaderBlock(body: BodySource): Promise<string> {
  const stream = body.open();
  let acc = Buffer.alloc(0);
  try {
    for await (const chunk of stream) {
      acc = Buffer.concat([acc, chunk as Buffer]);
      const text = acc.toString('latin1');
      const m = /\r?\n\r?\n/.exec(text);
      if (m) return acc.subarray(0, m.index).toString('utf8');
      if (acc.length > MAX_HEADER_BYTES) throw new Error('header block too large');
    }
  } finally {
    stream.destroy();
  }
  return acc.toString('utf8');
}

/** Parse a header block into fields with unfolded values. */
export function parseHeaderBlock(block: string): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const line of block.split(/\r?\n/)) {
    const last = fields[fields.length - 1];
    if (/^[ \t]/.test(line) && last) {
      last.raw += `\r\n${line}`;
      last.value += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push({
      name: line.slice(0, colon).trim(),
      value: line.slice(colon + 1).trim(),
      raw: line,
    });
  }
  return fields;
}

export async function readHeaders(body: BodySource): Promise<HeaderField[]> {
  return parseHeaderBlock(await readHeaderBlock(body));
}

/** First value of a header (case-insensitive). */
export const headerValue = (fields: HeaderField[], name: string) =>
  fields.find((f) => f.name.toLowerCase() === name.toLowerCase())?.value;
