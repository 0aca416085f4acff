import { timingSafeEqual } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { AppError } from '@koukan/services/errors';
import { jsonTooDeep, MAX_JSON_DEPTH } from '@koukan/services/json-depth';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without the token (probes, metrics). Every other route, unknown ones too, needs it. */
    public?: boolean;
    /** The handler streams `request.raw` itself: no body deadline. */
    streamsBody?: boolean;
  }
}

export interface ApiGuard {
  /** The outbound API's bearer token; undefined = every protected route is refused. */
  token: string | undefined;
  /** A JSON request body must be complete this long after its headers. */
  bodyTimeoutMs: number;
}

/**
 * The outbound API's door (issue 10 items 1, 4, 7). Authentication is decided after routing,
 * for every route that is not marked public (unknown routes included), so no spelling of a URL
 * (`/%761/…`, absolute form, dot segments) reaches a handler without the token. JSON bodies are
 * depth-bounded and must arrive within `bodyTimeoutMs`; an error answered before the body was
 * read closes the connection rather than read (or wait for) the rest.
 */
export function installApiGuard(app: FastifyInstance, guard: ApiGuard): void {
  const want = guard.token ? Buffer.from(guard.token) : undefined;
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config?.public) return;
    const raw = request.raw.rawHeaders;
    let n = 0;
    for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'authorization') n++;
    if (n > 1) {
      throw new AppError('bad_request', 'one Authorization header only', {
        details: [{ field: 'headers.authorization', message: 'repeated' }],
      });
    }
    const given = Buffer.from(
      /^Bearer (.*)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '',
    );
    if (!want || given.length !== want.length || !timingSafeEqual(given, want)) {
      throw new AppError('unauthorized', 'a valid gateway token is required');
    }
  });

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

  app.addHook('preParsing', async (request, _reply, payload) => {
    const h = request.headers;
    const hasBody =
      h['transfer-encoding'] !== undefined ||
      (h['content-length'] !== undefined && h['content-length'] !== '0');
    if (request.routeOptions.config?.streamsBody || !hasBody) return payload;
    return withDeadline(payload, guard.bodyTimeoutMs);
  });

  app.addHook('onSend', async (request, reply) => {
    if (reply.statusCode >= 400 && !request.raw.complete) reply.header('connection', 'close');
  });
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

/** Concurrent long-polls (one caller: the router's rest_output, with the one token). */
export class LongPollCap {
  private held = 0;
  constructor(private readonly max: number) {}

  acquire(): () => void {
    if (this.held >= this.max) {
      throw new AppError('too_many_requests', `at most ${this.max} concurrent long-polls`, {
        details: [{ field: 'headers.request-timeout', message: 'too many concurrent long-polls' }],
      });
    }
    this.held++;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.held--;
      }
    };
  }
}
