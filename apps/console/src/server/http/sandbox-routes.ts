import { Readable } from 'node:stream';
import {
  AppError,
  type ServiceContext,
  sandboxAttachment,
  sandboxHtml,
  sandboxRaw,
} from '@koukan/services';
import { contentDisposition, HTML_CSP } from './message-routes.ts';

/** The kept message's bytes, as a download (the same headers as a transaction's). */
export async function sandboxRawResponse(ctx: ServiceContext, id: string): Promise<Response> {
  const raw = await sandboxRaw({ ctx, input: { id } });
  return new Response(Readable.toWeb(raw.stream) as ReadableStream, {
    headers: {
      'content-type': 'message/rfc822',
      'content-length': String(raw.size),
      'content-disposition': contentDisposition(raw.filename),
      'cache-control': 'private, no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}

/** The HTML part under the same Content-Security-Policy as a transaction's. */
export async function sandboxHtmlResponse(ctx: ServiceContext, id: string): Promise<Response> {
  const html = await sandboxHtml({ ctx, input: { id } });
  if (!html) throw new AppError('not_found', 'The message has no HTML part.');
  return new Response(html, {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': HTML_CSP,
      'cache-control': 'private, no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
  });
}

/** One attachment, always as a download. */
export async function sandboxAttachmentResponse(
  ctx: ServiceContext,
  id: string,
  index: string,
): Promise<Response> {
  const a = await sandboxAttachment({ ctx, input: { id, index: Number(index) } });
  return new Response(new Uint8Array(a.content), {
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(a.size),
      'content-disposition': contentDisposition(a.filename),
      'cache-control': 'private, no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}
