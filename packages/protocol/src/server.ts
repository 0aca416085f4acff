import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { type ErrorBody, type ErrorDetail, fieldPath } from './schemas.ts';

/**
 * The error side of every server of the protocol (the router's API, the gateway's outbound
 * API): each error is `{"error": {"code", "message", "details"}}` with the offending fields named.
 */

/** An error that knows its HTTP status and body (services' AppError, the protocol's BadInput). */
export interface StatusError {
  code: string;
  httpStatus: number;
  extra: Record<string, unknown>;
  toJSON(): ErrorBody | { error: { code: string; message: string; details: ErrorDetail[] } };
}

export function isStatusError(err: unknown): err is StatusError & Error {
  const e = err as Partial<StatusError> | null;
  return (
    err instanceof Error && typeof e?.httpStatus === 'number' && typeof e.toJSON === 'function'
  );
}

const byStatus: Record<number, string> = {
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

interface ValidationIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: unknown;
}

/** Fastify's schema validation errors as details naming each field. */
function validationDetails(err: FastifyError): ErrorDetail[] {
  const prefix = contextPrefix[err.validationContext ?? 'body'] ?? 'body';
  return (err.validation as ValidationIssue[]).flatMap((v) => {
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
}

export interface ErrorHandlerOptions {
  /** Where 5xx are logged; default the request's logger. */
  log?: { error: (o: object, m: string) => void; warn: (o: object, m: string) => void };
  /** For an error that means "try again later" (the database is down), the 503's message. */
  unavailable?: (err: unknown) => string | undefined;
}

/** Maps every error to the protocol's error body; only 5xx are logged. */
export function installErrorHandlers(
  app: FastifyInstance,
  options: ErrorHandlerOptions = {},
): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (isStatusError(err)) {
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
    if (Array.isArray(err.validation) && err.validation.length > 0) {
      const details = validationDetails(err);
      const first = details[0];
      return sendError(reply, 400, {
        code: 'bad_request',
        message: first ? `${first.field}: ${first.message}` : 'invalid request',
        details,
      });
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const field = err.code?.startsWith('FST_ERR_CTP') ? 'body' : undefined;
      return sendError(reply, status, {
        code: byStatus[status] ?? 'bad_request',
        message: (err.code && friendly[err.code]) ?? err.message,
        details: [{ ...(field && { field }), message: err.message }],
      });
    }
    const log = options.log ?? request.log;
    const unavailable = options.unavailable?.(err);
    if (unavailable) {
      // nothing was stored: the client tries again later
      log.warn({ err }, unavailable);
      return sendError(reply, 503, { code: 'unavailable', message: unavailable, details: [] });
    }
    log.error({ err }, 'unhandled error');
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

/** Requests Node's HTTP parser rejects (bad request line, bad headers) get the JSON error too. */
/** How long receiving one request may take on a port of the protocol. */
export interface HttpTimeouts {
  /** Request headers must be complete within this (slowloris); default 10 s. */
  headersTimeoutMs?: number;
  /** A JSON body must be complete within this after the headers (else 408); default 30 s. */
  bodyTimeoutMs?: number;
  /** Absolute cap on receiving one request (a streamed body included); default 15 min. */
  requestTimeoutMs?: number;
}

/**
 * Fastify's options for the headers and request timeouts (the body's is installHttpLimits'),
 * with the client error handler. A long-poll has been received when it waits: never cut.
 */
export function serverOptions(t: HttpTimeouts) {
  return {
    requestTimeout: t.requestTimeoutMs ?? 15 * 60_000,
    // node checks the timeouts every second (its default, 30 s, is coarser than them)
    http: { headersTimeout: t.headersTimeoutMs ?? 10_000, connectionsCheckingInterval: 1_000 },
    clientErrorHandler,
  };
}

export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const body = JSON.stringify({
    error: { code: 'bad_request', message: 'malformed HTTP request', details: [] },
  });
  socket.end(
    `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
      `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export { installHttpLimits, LongPollLimiter } from './limits.ts';
