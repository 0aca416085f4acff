import { z } from 'zod';

/** The body of every 4xx and 5xx response. */
export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().describe('Stable machine-readable code, e.g. bad_request, not_found.'),
      message: z.string().describe('What went wrong, for a person.'),
      details: z
        .array(
          z.object({
            field: z.string().optional().describe('The offending field, e.g. body.rcpt_to[0].m.'),
            message: z.string(),
          }),
        )
        .describe('One entry per offending field.'),
      size: z.number().int().optional().describe('416/408: bytes stored so far.'),
      expected_size: z.number().int().nullable().optional(),
      version: z.number().int().optional().describe('412: the current version.'),
    }),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof errorBodySchema>;

const descriptions: Record<number, string> = {
  400: 'Malformed request: the details name each offending field.',
  401: 'Missing or invalid API key.',
  403: 'The key does not belong to this sender, or the sender is disabled.',
  404: 'No such transaction (or not one of your sender).',
  408: 'The upload stalled; the bytes received are kept, resume at error.size.',
  409: 'The transaction is in a state that does not allow this.',
  412: 'If-Match names a stale version.',
  413: 'Larger than the configured limit.',
  415: 'Unsupported Content-Type.',
  416: 'Content-Range does not start at the bytes stored; error.size says where to resume.',
  422: 'Well-formed but not acceptable (e.g. too many recipients, Idempotency-Key reuse).',
  428: 'If-Match is required.',
  500: 'Internal error.',
};

/** Response entries for the given error statuses, for a route's schema. */
export function errorResponses(...codes: number[]) {
  return Object.fromEntries(
    [...codes, 500].map((c) => [c, errorBodySchema.describe(descriptions[c] ?? 'Error')]),
  ) as Record<number, typeof errorBodySchema>;
}
