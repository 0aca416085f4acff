import { Readable } from 'node:stream';
import {
  AppError,
  appErrorCodes,
  getAttachment,
  getMessage,
  getRawMessage,
  isAppError,
  type ServiceContext,
} from '@koukan/services';
import type { Runtime } from '../runtime.ts';
import { sessionUser } from '../trpc/context.ts';

/** The Content-Security-Policy of a message's HTML: nothing remote, no scripts, no forms. */
export const HTML_CSP =
  "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; form-action 'none'; frame-ancestors 'self'; sandbox";

function problem(status: number, message: string): Response {
  return Response.json(
    { error: { message } },
    { status, headers: { 'cache-control': 'no-store' } },
  );
}

/** ASCII-safe `attachment; filename=…` with the UTF-8 name as filename*. */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** Runs `fn` for a signed-in user (any role), mapping service errors to HTTP. */
export async function withSession(
  r: Runtime,
  req: Request,
  fn: (ctx: ServiceContext) => Promise<Response>,
): Promise<Response> {
  const user = await sessionUser(r.auth, req.headers);
  if (!user) return problem(401, 'Sign in first.');
  try {
    return await fn({
      db: r.db.db,
      logger: r.logger.child({ user: user.email }),
      actor: `user:${user.email}`,
    });
  } catch (err) {
    if (isAppError(err)) return problem(appErrorCodes[err.code].http, err.message);
    r.logger.error({ err }, 'message download failed');
    return problem(500, 'The message could not be read.');
  }
}

export function rawResponse(ctx: ServiceContext, id: string): Promise<Response> {
  return getRawMessage({ ctx, input: { id } }).then(
    (raw) =>
      new Response(Readable.toWeb(raw.stream) as ReadableStream, {
        headers: {
          'content-type': 'message/rfc822',
          'content-length': String(raw.size),
          'content-disposition': contentDisposition(raw.filename),
          'cache-control': 'private, no-store',
          'x-content-type-options': 'nosniff',
        },
      }),
  );
}

export async function attachmentResponse(
  ctx: ServiceContext,
  id: string,
  index: string,
): Promise<Response> {
  const a = await getAttachment({ ctx, input: { id, index: Number(index) } });
  return new Response(new Uint8Array(a.content), {
    headers: {
      // Always a download, never rendered on the console's origin.
      'content-type': 'application/octet-stream',
      'content-length': String(a.size),
      'content-disposition': contentDisposition(a.filename),
      'cache-control': 'private, no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}

export async function htmlResponse(ctx: ServiceContext, id: string): Promise<Response> {
  const m = await getMessage({ ctx, input: { id } });
  if (!m.html) throw new AppError('not_found', 'The message has no HTML part.');
  return new Response(m.html, {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': HTML_CSP,
      'cache-control': 'private, no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
  });
}
