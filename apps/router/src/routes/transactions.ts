import { idempotencyKeySchema, longPollHeadersSchema, requestTimeoutOf } from '@koukan/protocol';
import {
  cancelTransaction,
  createTransaction,
  createTransactionRequestSchema,
  eventListSchema,
  eventsQuerySchema,
  listTransactionEvents,
  patchTransaction,
  patchTransactionRequestSchema,
  transactionViewSchema,
} from '@koukan/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf, principalOf, requireApiKey } from '../http/auth.ts';
import { errorResponses } from '../http/error-schema.ts';
import { etagOf, ifNoneMatchHits, parseIfMatch } from '../http/etag.ts';
import { viewAfterChange } from '../long-poll/until-answered.ts';
import { fire, type RouteDeps, security } from './deps.ts';

const idParams = z.object({ id: z.string().describe('The transaction id (a UUID).') });
const senderParams = z.object({ sender: z.string().describe('The sender name.') });

const createHeaders = z.looseObject({ 'idempotency-key': idempotencyKeySchema.optional() });
const patchHeaders = z.looseObject({
  'if-match': z.string().optional().describe('Required: the ETag of the version you update.'),
});

export function transactionRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const auth = requireApiKey(deps.db, deps.authenticate);

  r.post(
    '/v1/senders/:sender/transactions',
    {
      onRequest: auth,
      bodyLimit: deps.maxBodyBytes * 2 + 1024 * 1024,
      schema: {
        tags: ['transactions'],
        summary: 'Create a transaction',
        description:
          'Creates a transaction for `sender`: an envelope (`mail_from`, `rcpt_to`) and a body given inline, reused from an earlier transaction, built from a `message_builder` spec, or omitted to upload it with `PUT /v1/transactions/{id}/body`. Answers `201` with `Location` and `ETag`. Senders whose chain has no exploder take exactly one recipient per transaction.',
        security,
        params: senderParams,
        headers: createHeaders,
        body: createTransactionRequestSchema,
        response: {
          201: transactionViewSchema.describe(
            'Created (or replayed for the same Idempotency-Key).',
          ),
          ...errorResponses(400, 401, 403, 413, 415, 422),
        },
      },
    },
    async (request, reply) => {
      const ctx = contextOf(deps, request);
      const principal = principalOf(request);
      const sender = principal.senders.find((s) => s.name === request.params.sender)!;
      // Cut-through: with a free engine slot, a deliverable transaction is created claimed.
      // One created without its body (the SMTP gateway's: body after DATA) is not deliverable
      // yet: no slot, and no kick below (the body upload claims it).
      const slot = request.body.body ? deps.cutThrough?.reserve(sender.id) : undefined;
      const result = await createTransaction({
        ctx,
        input: {
          sender,
          // the route's schema is createTransactionRequestSchema: the body is its output
          request: request.body,
          validated: true,
          idempotencyKey: request.headers['idempotency-key'],
          maxBodyBytes: deps.maxBodyBytes,
          ...(deps.exploderContext && { exploder: { context: deps.exploderContext } }),
          lease: slot?.lease,
          gatewayKey: principal.gateway === true,
        },
      }).catch((err: unknown) => {
        slot?.release();
        throw err;
      });
      if (result.claimed) slot!.run(result.claimed);
      else {
        slot?.release();
        if (!result.replayed && result.transaction.body.status === 'finalized') {
          fire(deps.onTransactionCreated, result.transaction.id, request.log);
        }
      }
      const t = result.transaction;
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      return reply
        .code(201)
        .header('location', `/v1/transactions/${t.id}`)
        .header('etag', etagOf(t.version))
        .send(t);
    },
  );

  r.get(
    '/v1/transactions/:id',
    {
      onRequest: auth,
      schema: {
        tags: ['transactions'],
        summary: 'Get a transaction (long-poll with If-None-Match)',
        description:
          'Returns the transaction with its `ETag`. With `If-None-Match` set to the current ETag and `Request-Timeout: <seconds>` (at most 30), waits until the transaction changes and answers `200` with the new state, or `304` when nothing changed in time.',
        security,
        params: idParams,
        headers: longPollHeadersSchema,
        response: {
          200: transactionViewSchema,
          304: z.undefined().describe('Not modified (within Request-Timeout).'),
          ...errorResponses(400, 401, 403, 404, 429),
        },
      },
    },
    async (request, reply) => {
      const inm = request.headers['if-none-match'];
      const view = await viewAfterChange(
        deps,
        contextOf(deps, request),
        principalOf(request),
        request.params.id,
        inm,
        requestTimeoutOf(request.headers['request-timeout']),
        reply.raw,
      );
      reply.header('etag', etagOf(view.version)).header('cache-control', 'no-cache');
      if (ifNoneMatchHits(inm, view.version)) return reply.code(304).send();
      return view;
    },
  );

  r.patch(
    '/v1/transactions/:id',
    {
      onRequest: auth,
      schema: {
        tags: ['transactions'],
        summary: 'Add recipients or heartbeat (incremental senders)',
        description:
          'For incremental senders such as the SMTP gateway: appends recipients (`add_rcpt_to`) and/or records a heartbeat. `If-Match` with the current ETag is required; a stale one is `412`.',
        security,
        params: idParams,
        headers: patchHeaders,
        body: patchTransactionRequestSchema,
        response: {
          200: transactionViewSchema,
          ...errorResponses(400, 401, 403, 404, 409, 412, 422, 428),
        },
      },
    },
    async (request, reply) => {
      const view = await patchTransaction({
        ctx: contextOf(deps, request),
        input: {
          principal: principalOf(request),
          id: request.params.id,
          ifMatch: parseIfMatch(request.headers['if-match']),
          request: request.body,
          ...(deps.exploderContext && { exploder: { context: deps.exploderContext } }),
        },
      });
      return reply.header('etag', etagOf(view.version)).send(view);
    },
  );

  r.post(
    '/v1/transactions/:id/cancel',
    {
      onRequest: auth,
      schema: {
        tags: ['transactions'],
        summary: 'Cancel a transaction',
        description:
          'A transaction that is not in flight is cancelled at once; one in flight gets `cancel_requested_at` and is finished by the delivery engine after its current attempt. Delivered or failed transactions cannot be cancelled (`409`).',
        security,
        params: idParams,
        response: {
          200: transactionViewSchema,
          ...errorResponses(401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const view = await cancelTransaction({
        ctx: contextOf(deps, request),
        input: { principal: principalOf(request), id: request.params.id },
      });
      return reply.header('etag', etagOf(view.version)).send(view);
    },
  );

  r.get(
    '/v1/transactions/:id/events',
    {
      onRequest: auth,
      schema: {
        tags: ['transactions'],
        summary: 'The delivery timeline',
        description:
          'Events oldest first. Page with `after=<next_after>` while `next_after` is not null.',
        security,
        params: idParams,
        querystring: eventsQuerySchema,
        response: { 200: eventListSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      listTransactionEvents({
        ctx: contextOf(deps, request),
        input: { principal: principalOf(request), id: request.params.id, query: request.query },
      }),
  );
}
