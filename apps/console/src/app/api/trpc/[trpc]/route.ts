import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { trustedOrigins } from '../../../../env.ts';
import { limitBody } from '../../../../server/http/body-limit.ts';
import { runtime } from '../../../../server/runtime.ts';
import { createRequestContext } from '../../../../server/trpc/context.ts';
import { appRouter } from '../../../../server/trpc/root.ts';

export const dynamic = 'force-dynamic';

/** The largest procedure input (a 10 MiB message for a dry run, JSON-escaped) with room. */
const MAX_BODY = 24 * 1024 * 1024;

async function handler(incoming: Request) {
  const r = runtime();
  // CSRF: besides the SameSite session cookie, a cross-origin mutation is refused outright.
  const origin = incoming.headers.get('origin');
  if (incoming.method !== 'GET' && origin && !trustedOrigins(r.env).includes(origin)) {
    return Response.json(
      { error: { message: `origin ${origin} is not trusted` } },
      { status: 403 },
    );
  }
  const req = await limitBody(incoming, MAX_BODY);
  if (req instanceof Response) return req;
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    createContext: () => createRequestContext(r, req.headers),
  });
}

export { handler as GET, handler as POST };
