import { AppError, submissionMode } from '@koukan/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf } from '../http/auth.ts';
import { errorResponses } from '../http/error-schema.ts';
import { type RouteDeps, security } from './deps.ts';

const submissionViewSchema = z
  .object({
    sender: z.string(),
    mode: z
      .enum(['exploder', 'chain', 'refused'])
      .describe(
        '`exploder`: its chain fans out itself; `chain`: the MSA fans its mail out into transactions of this sender (store-and-forward); `refused`: it cannot take SMTP submission.',
      ),
    reason: z.string().optional(),
  })
  .meta({ id: 'SmtpSubmission' });

/**
 * `GET /v1/senders/{sender}/smtp-submission`: the gateway's AUTH check on the MSA. The key must
 * be one of the sender's (401/403 otherwise, nothing is created); the answer says whether and
 * how the sender takes SMTP submission, so a sender that cannot is refused at AUTH at once.
 * A disabled sender answers `refused` rather than 403, so the client learns why.
 */
export function submissionRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/senders/:sender/smtp-submission',
    {
      onRequest: async (request) => {
        request.principal = await deps.authenticate({
          ctx: contextOf({ db: deps.db }, request),
          input: { authorization: request.headers.authorization },
        });
      },
      schema: {
        tags: ['senders'],
        summary: 'Can this sender submit by SMTP (the MSA’s AUTH check)',
        security,
        params: z.object({ sender: z.string() }),
        response: { 200: submissionViewSchema, ...errorResponses(401, 403) },
      },
    },
    async (request) => {
      const name = request.params.sender;
      const known = request.principal?.senders.find((s) => s.name === name);
      if (!known) {
        throw new AppError('forbidden', `this API key does not belong to sender "${name}"`, {
          details: [{ field: 'params.sender', message: 'not a sender of this key' }],
        });
      }
      const result = await submissionMode(contextOf(deps, request), name, known);
      return {
        sender: name,
        mode: result.mode,
        ...(result.mode === 'refused' && { reason: result.reason }),
      };
    },
  );
}
