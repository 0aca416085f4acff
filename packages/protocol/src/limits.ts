import { PassThrough, type Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { BadInput } from './headers.ts';
import { jsonTooDeep, MAX_JSON_DEPTH } from './json-depth.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The handler streams `request.raw` itself (uploads): no body deadline. */
    streamsBody?: boolean;
  }
}

/**
 * What one slow or hostile client may hold on a port of the protocol (issue 10 items 4 and 7):
 * a JSON body must arrive in full within `bodyTimeoutMs` and nest at most MAX_JSON_DEPTH deep,
 * one Authorization header only, and an error answered before the request body was read closes
 * the connection instead of reading (or waiting for) the rest of it.
 */
export function installHttpLimits(app: FastifyInstance, limits: { bodyTimeoutMs?: number }): void {
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (!jsonTooDeep(body as string)) return json(request, body as string, done);
    const message = `nested deeper than ${MAX_JSON_DEPTH} levels`;
    done(new BadInput(`the JSON body is ${message}`, [{ field: 'body', message }]), undefined);
  });

  // (The hooks take callbacks: an async hook costs every request a promise and a tick.)
  // Two Authorization headers: whichever a proxy and this server each pick, they may differ.
  app.addHook('onRequest', (request, _reply, done) => {
    const raw = request.raw.rawHeaders;
    let n = 0;
    for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'authorization') n++;
    if (n > 1) {
      return done(
        new BadInput('one Authorization header only', [
          { field: 'headers.authorization', message: 'repeated' },
        ]),
      );
    }
    done();
  });

  app.addHook('preParsing', (request, _reply, payload, done) => {
    const h = request.headers;
    const length = h['content-length'];
    const hasBody =
      h['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    if (request.routeOptions.config?.streamsBody || !hasBody) return done(null, payload);
    done(null, withDeadline(payload, limits.bodyTimeoutMs ?? 30_000));
  });

  // An error before the body was read (401, 413, …): answer, then close. Node would otherwise
  // read and drop the rest of the body to keep the connection, for as long as the client sends.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode >= 400 && !request.raw.complete) reply.header('connection', 'close');
    done(null, payload);
  });
}

/** The body stream, failing with 408 when it has not ended within `ms`. */
function withDeadline(payload: Readable, ms: number): Readable {
  const out = new PassThrough();
  const timer = setTimeout(() => {
    const message = `the request body did not arrive within ${ms} ms`;
    const details = [{ field: 'body', message: 'incomplete' }];
    out.destroy(new BadInput(message, details, 408, 'request_timeout'));
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

/**
 * Concurrent long-polls per API key (issue 10 item 7): each one holds a socket and a waiter for
 * up to 30 s, so one key may not hold more than `max` at once; past it, `429`.
 */
export class LongPollLimiter {
  private readonly held = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Takes a place for `key`, or throws 429; call the returned function when the poll ends. */
  acquire(key: string): () => void {
    const n = this.held.get(key) ?? 0;
    if (n >= this.max) {
      const message = `at most ${this.max} concurrent long-polls per API key; retry without waiting or later`;
      const details = [
        { field: 'headers.request-timeout', message: 'too many concurrent long-polls' },
      ];
      throw new BadInput(message, details, 429, 'too_many_requests');
    }
    this.held.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.held.get(key) ?? 1) - 1;
      if (left > 0) this.held.set(key, left);
      else this.held.delete(key);
    };
  }
}
