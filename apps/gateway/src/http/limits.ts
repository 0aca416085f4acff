import { timingSafeEqual } from 'node:crypto';
import { installHttpLimits } from '@koukan/protocol/server';
import { AppError } from '@koukan/services/errors';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without the token (probes, metrics). Every other route, unknown ones too, needs it. */
    public?: boolean;
  }
}

export interface ApiGuard {
  /** The outbound API's bearer token; undefined = every protected route is refused. */
  token?: string | undefined;
  /** A JSON request body must be complete this long after its headers; default 30 s. */
  bodyTimeoutMs?: number | undefined;
}

/**
 * The outbound API's door (issue 10 items 1, 4, 7): the protocol's HTTP limits, and the token.
 * Authentication is decided after routing, for every route that is not marked public (unknown
 * routes included), so no spelling of a URL (`/%761/…`, absolute form, dot segments) reaches a
 * handler without the token.
 */
export function installApiGuard(app: FastifyInstance, guard: ApiGuard): void {
  installHttpLimits(app, guard);
  const want = guard.token ? Buffer.from(guard.token) : undefined;
  // (a callback hook: an async one costs every request a promise and a tick)
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.routeOptions.config?.public) return done();
    const given = Buffer.from(
      /^Bearer (.*)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '',
    );
    if (!want || given.length !== want.length || !timingSafeEqual(given, want)) {
      return done(new AppError('unauthorized', 'a valid gateway token is required'));
    }
    done();
  });
}
