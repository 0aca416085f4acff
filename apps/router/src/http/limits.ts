import { PassThrough, type Readable } from 'node:stream';
import { AppError } from '@koukan/services';
import { jsonTooDeep, MAX_JSON_DEPTH } from '@koukan/services/json-depth';
import type { FastifyInstance } from 'fastify';

/**
 * What one slow or hostile client may hold on the HTTP port (issue 10 items 4 and 7): a JSON
 * body must arrive in full within `bodyTimeoutMs` and nest at most MAX_JSON_DEPTH deep, and an
 * error answered before the request body was read closes the connection instead of reading
 * (or waiting for) the rest of it.
 */
export interface HttpLimits {
  /** A parsed (JSON) request body must be complete this long after its headers; default 30 s. */
  bodyTimeoutMs: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The handler streams `request.raw` itself (uploads): no body deadline, its own idle timeout. */
    streamsBody?: boolean;
  }
}

export function installHttpLimits(app: FastifyInstance, limits: HttpLimits): void {
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (jsonTooDeep(body as string)) {
      const message = `nested deeper than ${MAX_JSON_DEPTH} levels`;
      return done(
        new AppError('bad_request', `the JSON body is ${message}`, {
          details: [{ field: 'body', message }],
        }),
        undefined,
      );
    }
    json(request, body as string, done);
  });

  // Two Authorization headers: whichever a proxy and this server each pick, they may differ.
  app.addHook('onRequest', async (request) => {
    const raw = request.raw.rawHeaders;
    let n = 0;
    for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'authorization') n++;
    if (n > 1) {
      throw new AppError('bad_request', 'one Authorization header only', {
        details: [{ field: 'headers.authorization', message: 'repeated' }],
      });
    }
  });

  app.addHook('preParsing', async (request, _reply, payload) => {
    if (request.routeOptions.config?.streamsBody || !hasBody(request.headers)) return payload;
    return withDeadline(payload, limits.bodyTimeoutMs);
  });

  // An error before the body was read (401, 413, …): answer, then close. Node would otherwise
  // read and drop the rest of the body to keep the connection, for as long as the client sends.
  app.addHook('onSend', async (request, reply) => {
    if (reply.statusCode >= 400 && !request.raw.complete) reply.header('connection', 'close');
  });
}

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The body stream, failing with 408 when it has not ended within `ms`. */
function withDeadline(payload: Readable, ms: number): Readable {
  const out = new PassThrough();
  const timer = setTimeout(() => {
    out.destroy(
      new AppError('request_timeout', `the request body did not arrive within ${ms} ms`, {
        details: [{ field: 'body', message: 'incomplete' }],
      }),
    );
  }, ms);
  const stop = () => clearTimeout(timer);
  payload.once('end', stop).once('close', stop);
  payload.once('error', (err) => {
    stop();
    out.destroy(err);
  });
  out.once('close', stop);
  payload.pipe(out);
  return out;
}
