import {
  appErrorCodes,
  getAttachment,
  getMessage,
  getRawMessage,
  isAppError,
  type ServiceContext,
} from '@koukan/services';
import type { Runtime } from '../runtime.ts';
import { sessionUser } from '../trpc/context.ts';
import { attachmentDownload, htmlPage, rawDownload } from './downloads.ts';

function problem(status: number, message: string): Response {
  return Response.json(
    { error: { message } },
    { status, headers: { 'cache-control': 'no-store' } },
  );
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

export async function rawResponse(ctx: ServiceContext, id: string): Promise<Response> {
  return rawDownload(await getRawMessage({ ctx, input: { id } }));
}

export async function attachmentResponse(
  ctx: ServiceContext,
  id: string,
  index: string,
): Promise<Response> {
  return attachmentDownload(await getAttachment({ ctx, input: { id, index: Number(index) } }));
}

export async function htmlResponse(ctx: ServiceContext, id: string): Promise<Response> {
  return htmlPage((await getMessage({ ctx, input: { id } })).html);
}
