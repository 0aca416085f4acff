import { contentLengthOf, preferredWait } from '@koukan/protocol';
import {
  AppError,
  parseContentRange,
  transactionViewSchema,
  type UploadResult,
  uploadBody,
  uploadBuilderBlob,
} from '@koukan/services';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf, principalOf, requireApiKey } from '../http/auth.ts';
import { errorResponses } from '../http/error-schema.ts';
import { etagOf } from '../http/etag.ts';
import { withIdleTimeout } from '../http/upload-source.ts';
import { untilAnswered } from '../long-poll/until-answered.ts';
import { fire, type RouteDeps, security } from './deps.ts';

export const uploadResponseSchema = z
  .object({
    upload: z.object({
      size: z.number().int().describe('Bytes stored so far: the next Content-Range starts here.'),
      expected_size: z.number().int().nullable(),
      complete: z.boolean().describe('This body or blob is completely uploaded.'),
    }),
    transaction: transactionViewSchema,
  })
  .meta({ id: 'UploadStatus' });

const uploadResponses = {
  200: uploadResponseSchema,
  ...errorResponses(400, 401, 403, 404, 408, 409, 413, 416),
};

const uploadHeaders = z.looseObject({
  prefer: z
    .string()
    .optional()
    .describe(
      '"wait=<seconds>" (RFC 7240, at most 30): once the whole body is stored, the answer waits until the transaction has its `data_response` (or is final), for clients that would long-poll for it next (the SMTP gateway).',
    ),
  'content-range': z
    .string()
    .optional()
    .describe(
      'For chunked or resumed uploads: "bytes <start>-<end>/<total>" (or "/*" while the total is unknown); "bytes */<total>" completes an upload whose bytes are all stored.',
    ),
});

/** Paths whose request body is raw bytes, for the OpenAPI document. */
export const rawUploadPaths = [
  '/v1/transactions/{id}/body',
  '/v1/transactions/{id}/blob/{blob_id}',
];

function respond(
  reply: FastifyReply,
  result: UploadResult,
  deps: RouteDeps,
  request: FastifyRequest,
  kicked = false,
) {
  // A body the upload's own statement claimed is running already (cut-through).
  if (result.finalized && result.bodyComplete && !result.claimed && !kicked) {
    fire(deps.onBodyFinalized, result.transaction.id, request.log);
  }
  if (result.interrupted !== null) {
    // The client stalled or went away: keep the connection from being reused.
    reply.header('connection', 'close');
    throw new AppError(
      'request_timeout',
      `upload interrupted (${result.interrupted}); resume at byte ${result.size}`,
      {
        details: [{ field: 'body', message: 'interrupted' }],
        extra: { size: result.size, expected_size: result.expectedSize },
      },
    );
  }
  if (result.size > 0) reply.header('range', `bytes=0-${result.size - 1}`);
  reply.header('upload-offset', String(result.size));
  return reply.header('etag', etagOf(result.transaction.version)).send({
    upload: {
      size: result.size,
      expected_size: result.expectedSize,
      complete: result.finalized || result.transaction.body.status === 'finalized',
    },
    transaction: result.transaction,
  });
}

/**
 * Streaming uploads. The scope has a catch-all content-type parser that leaves the body
 * unread, so the handler streams `request.raw` into blob storage a chunk at a time.
 */
export async function uploadRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  const r = app.withTypeProvider<ZodTypeProvider>();
  const auth = requireApiKey(deps.db, deps.authenticate);
  const source = (request: FastifyRequest) =>
    withIdleTimeout(request.raw, deps.uploadIdleTimeoutMs);
  const common = (request: FastifyRequest) => ({
    principal: principalOf(request),
    range: parseContentRange(request.headers['content-range']),
    contentLength: contentLengthOf(request.headers['content-length']),
    source: source(request),
    maxBytes: deps.maxBodyBytes,
  });

  r.put(
    '/v1/transactions/:id/body',
    {
      onRequest: auth,
      config: { streamsBody: true },
      schema: {
        tags: ['uploads'],
        summary: 'Upload the RFC 822 message',
        description:
          'Streams the raw message (any Content-Type, e.g. message/rfc822). Without Content-Range the request carries the whole message. With Content-Range it carries one chunk; a chunk must start at the bytes already stored (else `416`, with `Upload-Offset`/`Range` and `error.size` telling where to resume). The upload completes when `<total>` bytes are stored. Interrupted uploads keep what arrived and can be resumed.',
        security,
        params: z.object({ id: z.string() }),
        headers: uploadHeaders,
        response: uploadResponses,
      },
    },
    async (request, reply) => {
      // Cut-through: with a free engine slot, a whole small body is stored and claimed at once.
      let slot: ReturnType<NonNullable<RouteDeps['cutThrough']>['reserve']>;
      const reserveLease = (senderId: string) => {
        slot = deps.cutThrough?.reserve(senderId);
        return slot?.lease;
      };
      const result = await uploadBody({
        ctx: contextOf(deps, request),
        input: { ...common(request), id: request.params.id, reserveLease },
      }).catch((err: unknown) => {
        slot?.release();
        throw err;
      });
      if (result.claimed) slot!.run(result.claimed);
      else slot?.release();
      const waitS = preferredWait(request.headers.prefer);
      if (waitS > 0 && result.finalized && result.bodyComplete && result.interrupted === null) {
        if (!result.claimed) fire(deps.onBodyFinalized, result.transaction.id, request.log);
        const view = await untilAnswered(
          deps,
          contextOf(deps, request),
          principalOf(request),
          result.transaction,
          waitS,
          reply.raw,
        );
        return respond(reply, { ...result, transaction: view }, deps, request, true);
      }
      return respond(reply, result, deps, request);
    },
  );

  r.put(
    '/v1/transactions/:id/blob/:blob_id',
    {
      onRequest: auth,
      config: { streamsBody: true },
      schema: {
        tags: ['uploads'],
        summary: 'Upload one part of a message_builder body',
        description:
          'Uploads the content of the part whose content is `{"create_id": "<blob_id>"}`. Same streaming, Content-Range and resume rules as the body upload.',
        security,
        params: z.object({ id: z.string(), blob_id: z.string() }),
        headers: uploadHeaders,
        response: uploadResponses,
      },
    },
    async (request, reply) => {
      const result = await uploadBuilderBlob({
        ctx: contextOf(deps, request),
        input: { ...common(request), id: request.params.id, createId: request.params.blob_id },
      });
      return respond(reply, result, deps, request);
    },
  );
}
