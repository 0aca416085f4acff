import { clientErrorHandler, installErrorHandlers, LongPollLimiter } from '@koukan/protocol/server';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.ts';
import { type OutboundApiDeps, registerOutboundRoutes } from '../outbound/api.ts';
import { installApiGuard } from './limits.ts';

export interface HttpTimeouts {
  /** Request headers must be complete within this; default 10 s. */
  headersTimeoutMs?: number;
  /** A JSON body must be complete within this after the headers; default 30 s. */
  bodyTimeoutMs?: number;
  /** Absolute cap on receiving one request (a streamed body included); default 15 min. */
  requestTimeoutMs?: number;
  /** Concurrent long-polls; default 1000. */
  maxLongPolls?: number;
}

export interface HttpDeps extends Omit<OutboundApiDeps, 'longPolls'>, HttpTimeouts {
  metrics: Metrics;
  /** Ready = listeners up and not draining. */
  ready: () => boolean;
}

/**
 * The REST port: the outbound transaction API (always behind the token: without one configured
 * it refuses every call), and the public /healthz, /readyz, /metrics.
 */
export function createHttpServer(deps: HttpDeps): FastifyInstance {
  const app = Fastify({
    // errors are logged by the error handler with the gateway's logger; no per-request lines
    logger: false,
    bodyLimit: 1024 * 1024,
    // Receiving a request is bounded; a long-poll has been received when it waits, so these
    // never cut one (up to 30 s).
    requestTimeout: deps.requestTimeoutMs ?? 15 * 60_000,
    http: {
      headersTimeout: deps.headersTimeoutMs ?? 10_000,
      connectionsCheckingInterval: 1_000,
    },
    clientErrorHandler,
  });
  installErrorHandlers(app, { log: deps.logger });
  installApiGuard(app, { token: deps.token, bodyTimeoutMs: deps.bodyTimeoutMs ?? 30_000 });
  const open = { config: { public: true } };
  app.get('/healthz', open, async () => ({ status: 'ok' }));
  app.get('/readyz', open, async (_req, reply) =>
    deps.ready() ? { status: 'ready' } : reply.code(503).send({ status: 'not ready' }),
  );
  app.get('/metrics', open, async (_req, reply) =>
    reply
      .header('content-type', deps.metrics.registry.contentType)
      .send(await deps.metrics.registry.metrics()),
  );
  registerOutboundRoutes(app, {
    ...deps,
    longPolls: new LongPollLimiter(deps.maxLongPolls ?? 1000),
  });
  return app;
}
