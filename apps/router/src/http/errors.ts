import { isDbUnavailable } from '@koukan/db';
import { type AppErrorCode, type AppErrorDetail, fieldPath, isAppError } from '@koukan/services';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { ErrorBody } from './error-schema.ts';

const byStatus: Record<number, AppErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  408: 'request_timeout',
  409: 'conflict',
  412: 'precondition_failed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  416: 'range_not_satisfiable',
  422: 'unprocessable',
  428: 'precondition_required',
  429: 'too_many_requests',
};

/** Clearer messages for Fastify's own client errors. */
const friendly: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported Content-Type: send Content-Type: application/json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'the JSON body is empty',
  FST_ERR_CTP_INVALID_JSON_BODY: 'the body is not valid JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'the request body is too large',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the body',
};

const contextPrefix: Record<string, string> = {
  body: 'body',
  params: 'params',
  querystring: 'query',
  headers: 'headers',
};

export function sendError(
  reply: FastifyReply,
  status: number,
  error: ErrorBody['error'],
): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ error });
}

/** Maps every error to `{"error": {"code", "message", "details"}}`; only 5xx are logged as errors. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (isAppError(err)) {
      if (err.code === 'range_not_satisfiable' || err.code === 'request_timeout') {
        const size = Number(err.extra.size ?? 0);
        if (size > 0) reply.header('range', `bytes=0-${size - 1}`);
        reply.header('upload-offset', String(size));
      }
      if (err.code === 'precondition_failed' && typeof err.extra.version === 'number') {
        reply.header('etag', `"${err.extra.version}"`);
      }
      if (err.code === 'unauthorized') reply.header('www-authenticate', 'Bearer');
      return sendError(reply, err.httpStatus, { ...err.toJSON().error, ...err.extra });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const prefix = contextPrefix[err.validationContext ?? 'body'] ?? 'body';
      const details: AppErrorDetail[] = err.validation.flatMap((v) => {
        const path = v.instancePath
          .split('/')
          .filter(Boolean)
          .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
        const keys = (v.params as { keys?: string[] }).keys;
        if (v.keyword === 'unrecognized_keys' && keys) {
          return keys.map((k) => ({
            field: fieldPath([...path, k], prefix),
            message: 'unknown field',
          }));
        }
        return [{ field: fieldPath(path, prefix), message: v.message ?? 'invalid' }];
      });
      const first = details[0];
      return sendError(reply, 400, {
        code: 'bad_request',
        message: first ? `${first.field}: ${first.message}` : 'invalid request',
        details,
      });
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = byStatus[status] ?? 'bad_request';
      const field = err.code?.startsWith('FST_ERR_CTP') ? 'body' : undefined;
      const message = (err.code && friendly[err.code]) ?? err.message;
      return sendError(reply, status, {
        code,
        message,
        details: [{ ...(field && { field }), message: err.message }],
      });
    }
    if (isDbUnavailable(err)) {
      // nothing was stored: the client tries again later (the gateway answers SMTP 4xx)
      request.log.warn({ err }, 'database unavailable');
      return sendError(reply, 503, {
        code: 'unavailable',
        message: 'the database is unavailable; try again later',
        details: [],
      });
    }
    request.log.error({ err }, 'unhandled error');
    return sendError(reply, 500, {
      code: 'internal',
      message: 'internal error; the request id identifies it in the logs',
      details: [],
    });
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, {
      code: 'not_found',
      message: `no route ${request.method} ${request.url.split('?')[0]}; see /docs`,
      details: [],
    }),
  );
}
