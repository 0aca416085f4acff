import {
  listTransactions,
  listTransactionsQuerySchema,
  transactionListResponseSchema,
} from '@koukan/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf, requireApiKey } from '../http/auth.ts';
import { errorResponses } from '../http/error-schema.ts';
import { type RouteDeps, security } from './deps.ts';

const senderParams = z.object({ sender: z.string().describe('The sender name.') });

/** `GET /v1/senders/{sender}/transactions`: the console's list, scoped to one sender. */
export function transactionListRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/senders/:sender/transactions',
    {
      onRequest: requireApiKey(deps.db, deps.authenticate),
      schema: {
        tags: ['transactions'],
        summary: "List a sender's transactions",
        description:
          "Newest first, keyset-paginated: pass `next_cursor` as `cursor` for the next page. Filters combine: `status` (repeated or comma-separated), `mail_from_prefix` and `rcpt_prefix` (case-insensitive prefixes), `rcpt_domain`, `message_id` (exact, with or without `<>`), `final_reason`, `created_after` (inclusive) and `created_before` (exclusive). Only that sender's API key may list them (`403` otherwise).",
        security,
        params: senderParams,
        querystring: listTransactionsQuerySchema,
        response: {
          200: transactionListResponseSchema,
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await listTransactions({
        ctx: contextOf(deps, request),
        input: {
          ...q,
          ...(q.status && { status: q.status }),
          sender: request.params.sender,
        },
      });
      return { items: page.items, next_cursor: page.nextCursor };
    },
  );
}
