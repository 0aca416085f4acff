import { systemResolver } from '@koukan/chain';
import { createDb, migrate } from '@koukan/db';
import pino from 'pino';
import { buildApp, redactPaths } from './app.ts';
import { secretPorts } from './delivery/secret-ports.ts';
import { loadEnv, retentionOptions } from './env.ts';
import { wireEngine } from './wire.ts';

/** The router process: migrate, serve, and shut down cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const env = loadEnv();
  const logger = pino({
    level: env.LOG_LEVEL,
    base: { component: 'router' },
    redact: { paths: redactPaths, censor: '[redacted]' },
  });
  const handle = createDb({
    url: env.DATABASE_URL,
    poolSize: env.KOUKAN_DB_POOL_SIZE,
    statementTimeoutMs: env.KOUKAN_DB_STATEMENT_TIMEOUT_MS,
    idleInTransactionTimeoutMs: env.KOUKAN_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    applicationName: 'koukan-router',
    logger: logger.child({ module: 'db' }),
  });
  await migrate(handle.pool);
  const dsn = {
    reportingMta: env.KOUKAN_HOSTNAME,
    ...(env.KOUKAN_MAILER_DAEMON && { mailerDaemon: env.KOUKAN_MAILER_DAEMON }),
    ...(env.KOUKAN_DSN_DELAY_AFTER_MS !== undefined && {
      delayAfterMs: env.KOUKAN_DSN_DELAY_AFTER_MS,
    }),
  };
  const chainContext = {
    logger: logger.child({ module: 'chain' }),
    dns: systemResolver,
    ...(await secretPorts(handle.db, env, logger.child({ module: 'secrets' }))),
    hostname: env.KOUKAN_HOSTNAME,
  };
  const wired = await wireEngine({
    db: handle.db,
    pool: handle.pool,
    logger,
    dsn,
    context: chainContext,
    engine: env.KOUKAN_ENGINE === 'true' && {
      concurrency: env.KOUKAN_ENGINE_CONCURRENCY,
      ...(env.KOUKAN_ENGINE_LEASE_MS && { leaseMs: env.KOUKAN_ENGINE_LEASE_MS }),
      ...(env.KOUKAN_ENGINE_ATTEMPT_TIMEOUT_MS && {
        attemptTimeoutMs: env.KOUKAN_ENGINE_ATTEMPT_TIMEOUT_MS,
      }),
      retention: retentionOptions(env),
    },
  });
  const app = await buildApp({
    db: handle.db,
    pool: handle.pool,
    logger,
    maxBodyBytes: env.KOUKAN_MAX_BODY_BYTES,
    uploadIdleTimeoutMs: env.KOUKAN_UPLOAD_IDLE_TIMEOUT_MS,
    authCacheMs: env.KOUKAN_AUTH_CACHE_MS,
    headersTimeoutMs: env.KOUKAN_HTTP_HEADERS_TIMEOUT_MS,
    bodyTimeoutMs: env.KOUKAN_HTTP_BODY_TIMEOUT_MS,
    requestTimeoutMs: env.KOUKAN_HTTP_REQUEST_TIMEOUT_MS,
    longPollsPerKey: env.KOUKAN_LONG_POLLS_PER_KEY,
    defaultMetrics: true,
    ...wired.app,
  });
  // Stopping: new requests get 503 (the balancer's probe too), requests under way go on.
  let closing = false;
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    reply.header('connection', 'close');
    return reply
      .code(503)
      .send({ error: { code: 'unavailable', message: 'the router is stopping' } });
  });
  const address = await app.listen({ host: env.KOUKAN_ROUTER_HOST, port: env.KOUKAN_ROUTER_PORT });
  logger.info({ address, docs: `${address}/docs`, pid: process.pid }, 'router listening');

  const stop = async (signal: string) => {
    if (closing) return;
    closing = true;
    const graceMs = env.KOUKAN_SHUTDOWN_GRACE_MS;
    logger.info({ signal, graceMs }, 'router stopping');
    try {
      // 1. stop accepting (`closing`); 2. the engine claims nothing more and its attempts finish
      // within the grace, while the watcher still wakes their fan-ins and HTTP requests under
      // way drain; 3. close HTTP (wakes long-polls); 4. the database.
      await wired.engine?.stop({ deadlineMs: graceMs });
      await app.close();
      await handle.close();
      logger.info('router stopped');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'error while stopping');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  console.error('router failed to start:', err);
  process.exit(1);
});
