import { isMigrated } from '@koukan/db';
import { errorBodySchema } from '@koukan/protocol';
import { sendError } from '@koukan/protocol/server';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type pg from 'pg';
import { z } from 'zod';

const statusSchema = z.object({ status: z.string(), reason: z.string().optional() });

export function healthRoutes(app: FastifyInstance, pool: pg.Pool): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  // Migrations are never undone under a running router: once seen applied, probes read nothing.
  let migrated = false;
  r.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness: the process answers',
        response: { 200: statusSchema },
      },
    },
    async () => ({ status: 'ok' }),
  );
  r.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness: the database is reachable and migrated',
        response: { 200: statusSchema, 503: errorBodySchema },
      },
    },
    async (_request, reply) => {
      try {
        migrated ||= await isMigrated(pool);
        if (migrated) return { status: 'ready' };
        return sendError(reply, 503, {
          code: 'unavailable',
          message: 'the database is not migrated',
          details: [],
        });
      } catch {
        return sendError(reply, 503, {
          code: 'unavailable',
          message: 'the database is unreachable',
          details: [],
        });
      }
    },
  );
}
