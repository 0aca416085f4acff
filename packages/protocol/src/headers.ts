import { z } from 'zod';
import type { ErrorDetail } from './schemas.ts';

/** The longest long-poll a server holds (`Request-Timeout`, seconds). */
export const MAX_REQUEST_TIMEOUT_S = 30;

/**
 * `Request-Timeout`: seconds (fractions allowed) to hold a long-poll, capped at 30; absent is 0.
 * Not a number of seconds is bad input (400 naming `headers.request-timeout`).
 */
export const requestTimeoutSchema = z
  .string()
  .optional()
  .transform((h, ctx) => {
    if (h === undefined) return 0;
    const s = Number(h.trim());
    if (h.trim() === '' || !Number.isFinite(s) || s < 0) {
      ctx.addIssue({ code: 'custom', message: 'not a number of seconds' });
      return z.NEVER;
    }
    return Math.min(s, MAX_REQUEST_TIMEOUT_S);
  });

/**
 * The seconds of a `Prefer: wait=<s>` header (RFC 7240: a token or a quoted string), at most 30;
 * 0 without one.
 */
export function preferredWait(header: string | string[] | undefined): number {
  const m = /(?:^|[,;\s])wait\s*=\s*("?)(\d+)\1(?![\w.])/i.exec(String(header ?? ''));
  return m ? Math.min(Number(m[2]), MAX_REQUEST_TIMEOUT_S) : 0;
}

/** `Idempotency-Key`: repeating a create with the same key returns the original. */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, '1 to 255 visible ASCII characters')
  .describe('Repeating a request with the same key within 24 h returns the original.');

/** The request headers of a long-poll GET. */
export const longPollHeadersSchema = z.looseObject({
  'if-none-match': z.string().optional().describe('Long-poll: the ETag you already have.'),
  'request-timeout': z
    .string()
    .optional()
    .describe('Long-poll: seconds to wait for a change (at most 30).'),
});

/** An error of the protocol's own checks, answered as its error body (see server.ts). */
export class BadInput extends Error {
  readonly extra: Record<string, unknown> = {};
  constructor(
    message: string,
    readonly details: ErrorDetail[],
    readonly httpStatus = 400,
    readonly code = 'bad_request',
  ) {
    super(message);
    this.name = 'BadInput';
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

/** The `Request-Timeout` header in seconds (0 when absent); BadInput when it is not one. */
export function requestTimeoutOf(header: string | undefined): number {
  const r = requestTimeoutSchema.safeParse(header);
  if (r.success) return r.data;
  throw new BadInput('Request-Timeout is a number of seconds (0 to 30)', [
    { field: 'headers.request-timeout', message: 'not a number of seconds' },
  ]);
}

/** `Content-Length` as a byte count (undefined when absent); BadInput when it is not one. */
export function contentLengthOf(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const n = Number(header);
  if (Number.isSafeInteger(n) && n >= 0) return n;
  throw new BadInput('invalid Content-Length', [
    { field: 'headers.content-length', message: 'not a byte count' },
  ]);
}
