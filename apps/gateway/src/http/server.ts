import Fastify, { type FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.ts';
import { errorHandler, type OutboundApiDeps, registerOutboundRoutes } from '../outbound/api.ts';

export interface HttpDeps extends OutboundApiDeps {
  metrics: Metrics;
  /** Ready = listeners up and not draining. */
  ready: () => boolean;
}

/** The REST port: the outbound transaction API, /healthz, /readyz and /metrics. */
export function createHttpServer(deps: HttpDeps): FastifyInstance {
  const app = Fastify({
    // errors are logged by errorHandler with the gateway's logger; no per-request lines
    logger: false,
    bodyLimit: 1024 * 1024,
    // long-polls hold requests up to 30 s
    requestTimeout: 0,
  });
  app.setErrorHandler(errorHandler(deps.logger));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) =>
    deps.ready() ? { status: 'ready' } : reply.code(503).send({ status: 'not ready' }),
  );
  app.get('/metrics', async (_req, reply) =>
    reply
      .header('content-type', deps.metrics.registry.contentType)
      .send(await deps.metrics.registry.metrics()),
  );
  registerOutboundRoutes(app, deps);
  return app;
}
