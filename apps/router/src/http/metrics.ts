import type { Db } from '@koukan/db';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of one app instance (its own registry, so several instances can live in
 * one process): requests by route and status, latency histograms, transactions by status.
 */
export function installMetrics(app: FastifyInstance, db: Db, options: { defaults?: boolean }) {
  const registry = new Registry();
  if (options.defaults) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'koukan_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'koukan_http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  let cached: { at: number; rows: { status: string; n: number }[] } | null = null;
  new Gauge({
    name: 'koukan_transactions',
    help: 'Transactions by status (refreshed at most every 5 s)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      if (!cached || Date.now() - cached.at > 5000) {
        const result = await db.execute<{ status: string; n: number }>(
          sql`select status, count(*)::int as n from transactions group by status`,
        );
        cached = { at: Date.now(), rows: result.rows };
      }
      this.reset();
      for (const r of cached.rows) this.set({ status: r.status }, r.n);
    },
  });

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
  return registry;
}
