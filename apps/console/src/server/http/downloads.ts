import { Readable } from 'node:stream';
import { AppError } from '@koukan/services';

/** The Content-Security-Policy of a message's HTML: nothing remote, no scripts, no forms. */
export const HTML_CSP =
  "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; form-action 'none'; frame-ancestors 'self'; sandbox";

const PRIVATE = { 'cache-control': 'private, no-store', 'x-content-type-options': 'nosniff' };

/** ASCII-safe `attachment; filename=…` with the UTF-8 name as filename*. */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** A stored message's bytes, as a download. */
export function rawDownload(raw: { stream: Readable; size: number; filename: string }): Response {
  return new Response(Readable.toWeb(raw.stream) as ReadableStream, {
    headers: {
      'content-type': 'message/rfc822',
      'content-length': String(raw.size),
      'content-disposition': contentDisposition(raw.filename),
      ...PRIVATE,
    },
  });
}

/** One attachment: always a download, never rendered on the console's origin. */
export function attachmentDownload(a: { content: Buffer; size: number; filename: string }) {
  return new Response(new Uint8Array(a.content), {
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(a.size),
      'content-disposition': contentDisposition(a.filename),
      ...PRIVATE,
    },
  });
}

/** A message's HTML part, under HTML_CSP. */
export function htmlPage(html: string | undefined | null): Response {
  if (!html) throw new AppError('not_found', 'The message has no HTML part.');
  return new Response(html, {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': HTML_CSP,
      'referrer-policy': 'no-referrer',
      ...PRIVATE,
    },
  });
}
