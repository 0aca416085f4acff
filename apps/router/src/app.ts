import { randomUUID } from 'node:crypto';
import type { ChainContext } from '@koukan/chain';
import { type Db, isDbUnavailable } from '@koukan/db';
import {
  type HttpTimeouts,
  installErrorHandlers,
  installHttpLimits,
  LongPollLimiter,
  serverOptions,
} from '@koukan/protocol/server';
import { type ConfigView, cachedAuthenticate } from '@koukan/services';
import Fastify, { type FastifyInstance } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type pg from 'pg';
import pino, { type Logger } from 'pino';
import { installMetrics } from './http/metrics.ts';
import { responseSerializerCompiler } from './http/serializer.ts';
import { TransactionWatcher } from './long-poll/watcher.ts';
import type { CutThrough, RouteDeps } from './routes/deps.ts';
import { registerDocs } from './routes/docs.ts';
import { healthRoutes } from './routes/health.ts';
import { transactionListRoutes } from './routes/list.ts';
import { submissionRoutes } from './routes/submission.ts';
import { transactionRoutes } from './routes/transactions.ts';
import { uploadRoutes } from './routes/uploads.ts';

export interface BuildAppOptions extends HttpTimeouts {
  db: Db;
  pool: pg.Pool;
  /** A pino logger; default: pino at `logLevel`. */
  logger?: Logger;
  logLevel?: string;
  /** Largest body or blob, in bytes (KOUKAN_MAX_BODY_BYTES); default 50 MB. */
  maxBodyBytes?: number;
  /**
   * How long an authenticated API key is remembered (KOUKAN_AUTH_CACHE_MS): a revoked key or a
   * disabled sender is refused by this process at once on the database's change notification,
   * and at most this long after the change when the notification is lost; default 1 s.
   */
  authCacheMs?: number;
  /** An upload that receives no bytes for this long is cut (408, resumable); default 30 s. */
  uploadIdleTimeoutMs?: number;
  /** Long-poll fallback polling interval; default 500 ms. */
  longPollIntervalMs?: number;
  /** Concurrent long-polls per API key (429 past it); default 1000. */
  longPollsPerKey?: number;
  /** LISTEN for NOTIFY hints (default true). */
  listen?: boolean;
  /**
   * The process's change watcher, when the host shares it (the exploder's fan-in waits on it
   * too): started by the host, stopped by the app's close. Default: the app makes its own.
   */
  watcher?: TransactionWatcher;
  /** Process-wide default metrics (CPU, memory, event loop); default false (main.ts sets it). */
  defaultMetrics?: boolean;
  /** The live configuration (the delivery engine's cache): spares the request path chain reads. */
  config?: ConfigView;
  /**
   * Cut-through at creation: the engine of this process (its `reserve`); a deliverable
   * transaction is then created already claimed and its attempt starts at once.
   */
  cutThrough?: CutThrough;
  /** Called after a transaction is committed, for cut-through delivery. */
  onTransactionCreated?: (id: string) => void;
  /** Called after an upload completed a transaction's body. */
  onBodyFinalized?: (id: string) => void;
  /** The chain context the filters before an exploder run with when a recipient is added
   * (create/PATCH of a multi-recipient sender); default: the request logger only. */
  exploderContext?: ChainContext;
}

/** Log redaction: keys and bodies never reach the logs. */
export const redactPaths = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'body',
  'req.body',
];

function validRequestId(v: unknown): v is string {
  return typeof v === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(v);
}

/** The router's HTTP app. Call `listen` on it; `close` also stops the long-poll watcher. */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const logger =
    options.logger ??
    pino({
      level: options.logLevel ?? 'info',
      redact: { paths: redactPaths, censor: '[redacted]' },
    });
  const app = Fastify({
    loggerInstance: logger,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return validRequestId(given) ? given : randomUUID();
    },
    // Bodies are streamed by the upload routes; JSON bodies are small.
    bodyLimit: 1024 * 1024,
    // Receiving a request is bounded (stalled uploads are cut sooner by their idle timeout).
    ...serverOptions(options),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(responseSerializerCompiler);
  app.decorateRequest('principal', null);
  // callback hooks on every request: no promise and no extra microtask per request
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });
  installErrorHandlers(app, {
    // nothing was stored: the client tries again later (the gateway answers SMTP 4xx)
    unavailable: (err) =>
      isDbUnavailable(err) ? 'the database is unavailable; try again later' : undefined,
  });
  installHttpLimits(app, options);

  const watcher =
    options.watcher ??
    new TransactionWatcher({
      pool: options.pool,
      logger: logger.child({ component: 'long-poll' }),
      pollIntervalMs: options.longPollIntervalMs ?? 500,
      listen: options.listen ?? true,
      applicationName: 'koukan-router-listen',
    });
  if (!options.watcher) await watcher.start();
  // Wake long-polls at shutdown so close() does not wait 30 s for them.
  app.addHook('preClose', async () => {
    await watcher.stop();
  });

  // A revoked key or a disabled sender is refused at once on the change notification (the
  // cache's expiry stays the fallback: hints can be lost, the embedded database sends none).
  const authenticate = cachedAuthenticate(options.authCacheMs ?? 1000);
  const stopWatchingConfig = watcher.onConfigChange((table) => {
    if (table !== 'chains') authenticate.clear();
  });
  app.addHook('onClose', async () => {
    stopWatchingConfig();
  });

  const deps: RouteDeps = {
    db: options.db,
    config: options.config,
    authenticate,
    watcher,
    longPolls: new LongPollLimiter(options.longPollsPerKey ?? 1000),
    maxBodyBytes: options.maxBodyBytes ?? 50 * 1024 * 1024,
    uploadIdleTimeoutMs: options.uploadIdleTimeoutMs ?? 30_000,
    cutThrough: options.cutThrough,
    onTransactionCreated: options.onTransactionCreated,
    onBodyFinalized: options.onBodyFinalized,
    exploderContext: options.exploderContext,
  };
  await registerDocs(app);
  installMetrics(app, options.db, { defaults: options.defaultMetrics ?? false });
  healthRoutes(app, options.pool);
  transactionRoutes(app, deps);
  submissionRoutes(app, deps);
  transactionListRoutes(app, deps);
  await app.register(async (scope) => uploadRoutes(scope, deps));
  return app;
}
