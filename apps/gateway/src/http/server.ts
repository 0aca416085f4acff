import {
  installErrorHandlers,
  LongPollLimiter,
  type HttpTimeouts as ServerTimeouts,
  serverOptions,
} from '@koukan/protocol/server';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.ts';
import { type OutboundApiDeps, registerOutboundRoutes } from '../outbound/api.ts';
import { installApiGuard } from './limits.ts';

export interface HttpTimeouts extends ServerTimeouts {
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
    ...serverOptions(deps),
  });
  installErrorHandlers(app, { log: deps.logger });
  installApiGuard(app, deps);
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
