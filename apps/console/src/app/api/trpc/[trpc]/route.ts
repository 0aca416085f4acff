import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { trustedOrigins } from '../../../../env.ts';
import { runtime } from '../../../../server/runtime.ts';
import { createRequestContext } from '../../../../server/trpc/context.ts';
import { appRouter } from '../../../../server/trpc/root.ts';

export const dynamic = 'force-dynamic';

function handler(req: Request) {
  const r = runtime();
  // CSRF: besides the SameSite session cookie, a cross-origin mutation is refused outright.
  const origin = req.headers.get('origin');
  if (req.method !== 'GET' && origin && !trustedOrigins(r.env).includes(origin)) {
    return Response.json(
      { error: { message: `origin ${origin} is not trusted` } },
      { status: 403 },
    );
  }
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    createContext: () =>
      createRequestContext(
        {
          db: r.db.db,
          logger: r.logger,
          auth: r.auth,
          watcher: r.watcher,
          pollIntervalMs: r.env.KOUKAN_CONSOLE_POLL_MS,
          ...(r.secretKey && { secretKey: r.secretKey }),
        },
        req.headers,
      ),
  });
}

export { handler as GET, handler as POST };
