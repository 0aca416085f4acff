import { errorBodySchema } from '@koukan/protocol';

export { errorBodySchema };

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
