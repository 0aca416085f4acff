/**
 * The one application error type. `code` maps to an HTTP status, a tRPC code and an SMTP reply;
 * `message` is safe to show to the caller; `details` names the offending field(s).
 */
export const appErrorCodes = {
  bad_request: { http: 400, trpc: 'BAD_REQUEST', smtp: [501, '5.5.4'] },
  unauthorized: { http: 401, trpc: 'UNAUTHORIZED', smtp: [535, '5.7.8'] },
  forbidden: { http: 403, trpc: 'FORBIDDEN', smtp: [550, '5.7.1'] },
  not_found: { http: 404, trpc: 'NOT_FOUND', smtp: [550, '5.1.1'] },
  conflict: { http: 409, trpc: 'CONFLICT', smtp: [451, '4.3.0'] },
  precondition_failed: { http: 412, trpc: 'PRECONDITION_FAILED', smtp: [451, '4.3.0'] },
  request_timeout: { http: 408, trpc: 'TIMEOUT', smtp: [451, '4.4.2'] },
  payload_too_large: { http: 413, trpc: 'PAYLOAD_TOO_LARGE', smtp: [552, '5.3.4'] },
  unsupported_media_type: { http: 415, trpc: 'UNSUPPORTED_MEDIA_TYPE', smtp: [554, '5.6.1'] },
  range_not_satisfiable: { http: 416, trpc: 'BAD_REQUEST', smtp: [451, '4.3.0'] },
  unprocessable: { http: 422, trpc: 'UNPROCESSABLE_CONTENT', smtp: [550, '5.6.0'] },
  precondition_required: { http: 428, trpc: 'PRECONDITION_FAILED', smtp: [451, '4.3.0'] },
  too_many_requests: { http: 429, trpc: 'TOO_MANY_REQUESTS', smtp: [451, '4.7.0'] },
  timeout: { http: 504, trpc: 'TIMEOUT', smtp: [451, '4.4.2'] },
  unavailable: { http: 503, trpc: 'SERVICE_UNAVAILABLE', smtp: [451, '4.3.0'] },
  internal: { http: 500, trpc: 'INTERNAL_SERVER_ERROR', smtp: [451, '4.3.0'] },
} as const;

export type AppErrorCode = keyof typeof appErrorCodes;

export interface AppErrorDetail {
  /** Path of the offending field, e.g. `rcpt_to[0].m` or a header name. */
  field?: string;
  message: string;
}

export class AppError extends Error {
  readonly code: AppErrorCode;
  readonly details: AppErrorDetail[];
  /** Extra response data, e.g. the current range for a 416. */
  readonly extra: Record<string, unknown>;

  constructor(
    code: AppErrorCode,
    message: string,
    options: { details?: AppErrorDetail[]; extra?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details ?? [];
    this.extra = options.extra ?? {};
  }

  get httpStatus(): number {
    return appErrorCodes[this.code].http;
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

/** An AppError about one field: `message` for the caller, `detail` naming what is wrong at `field`. */
export function fieldError(code: AppErrorCode, message: string, field: string, detail: string) {
  return new AppError(code, message, { details: [{ field, message: detail }] });
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

import { fieldPath, issuesToDetails } from '@koukan/protocol/schemas';

export { fieldPath };

interface IssueLike {
  path: readonly PropertyKey[];
  message: string;
}

/** Parses a service input at the boundary; a mismatch is a 400 naming each offending field. */
export function parseInput<T>(
  schema: {
    safeParse(
      v: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: IssueLike[] } };
  },
  value: unknown,
  prefix?: string,
): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = issuesToDetails(result.error.issues, prefix);
  const first = details[0];
  throw new AppError(
    'bad_request',
    first ? `${first.field || 'input'}: ${first.message}` : 'invalid input',
    { details },
  );
}
