import { networkInterfaces } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayEnv } from './env.ts';
import { createHttpServer } from './http/server.ts';
import { createMetrics } from './metrics.ts';
import { ConnectionPool } from './outbound/pool.ts';
import { OutboundStore } from './outbound/store.ts';
import { RouterClient } from './router-client.ts';
import { listenersFromEnv } from './smtp/config.ts';
import { SmtpListener } from './smtp/listener.ts';
import { assertSmtpServerPatched } from './smtp/patched-server.ts';
import { loadTls } from './smtp/tls.ts';

/** The first non-internal IPv4 address (a pod's IP), else loopback. */
function ownAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export interface RunningGateway {
  http: FastifyInstance;
  httpPort: number;
  /** Bound port by listener name (mx, msa, smtps). */
  smtpPorts: Record<string, number>;
  /** Graceful stop: not ready, stop accepting, sessions and deliveries get up to the grace. */
  stop(): Promise<void>;
}

/** Starts everything the environment asks for: SMTP listeners and the REST port. */
export async function startGateway(env: GatewayEnv, logger: Logger): Promise<RunningGateway> {
  const metrics = createMetrics();
  const router = new RouterClient({
    baseUrl: env.KOUKAN_ROUTER_URL,
    requestTimeoutMs: env.KOUKAN_ROUTER_TIMEOUT_MS,
  });
  const configs = listenersFromEnv(env);
  // fails loudly when node_modules lacks patches/smtp-server+*.patch (patches/README.md)
  if (configs.length > 0) await assertSmtpServerPatched();
  const tls = await loadTls(
    { certFile: env.KOUKAN_TLS_CERT_FILE, keyFile: env.KOUKAN_TLS_KEY_FILE },
    env.KOUKAN_SMTP_HOSTNAME,
    logger,
  );
  if (configs.some((c) => c.kind === 'mx') && !env.KOUKAN_SMTP_MX_API_KEY) {
    logger.warn('KOUKAN_SMTP_MX_API_KEY is not set: the MX listener answers MAIL with 451');
  }
  if (!env.KOUKAN_GATEWAY_TOKEN) {
    logger.warn('KOUKAN_GATEWAY_TOKEN is not set: the outbound API refuses every call');
  }
  const store = new OutboundStore(env.KOUKAN_OUTBOUND_TIMEOUT_MS);
  const pool = new ConnectionPool(
    {
      hostname: env.KOUKAN_SMTP_HOSTNAME,
      timeoutMs: 60_000,
      maxPerDestination: env.KOUKAN_OUTBOUND_MAX_CONNECTIONS_PER_DESTINATION,
      messagesPerConnection: env.KOUKAN_OUTBOUND_MESSAGES_PER_CONNECTION,
      idleMs: env.KOUKAN_OUTBOUND_IDLE_MS,
      maxQueuedPerDestination: env.KOUKAN_OUTBOUND_MAX_QUEUED_PER_DESTINATION,
      queueTimeoutMs: env.KOUKAN_OUTBOUND_QUEUE_TIMEOUT_MS,
    },
    logger.child({ part: 'outbound' }),
    metrics,
  );
  let ready = false;
  let advertised: string | undefined;
  const http = createHttpServer({
    advertiseUrl: () => advertised,
    store,
    pool,
    logger,
    token: env.KOUKAN_GATEWAY_TOKEN,
    maxBodyBytes: env.KOUKAN_SMTP_MAX_MESSAGE_BYTES,
    defaultLmtp: env.KOUKAN_OUTBOUND_LMTP,
    defaultNextHop: env.KOUKAN_OUTBOUND_DEFAULT_NEXT_HOP,
    metrics,
    ready: () => ready,
    headersTimeoutMs: env.KOUKAN_HTTP_HEADERS_TIMEOUT_MS,
    bodyTimeoutMs: env.KOUKAN_HTTP_BODY_TIMEOUT_MS,
    requestTimeoutMs: env.KOUKAN_HTTP_REQUEST_TIMEOUT_MS,
    maxLongPolls: env.KOUKAN_GATEWAY_MAX_LONG_POLLS,
  });
  const listeners = configs.map((c) => new SmtpListener(c, { router, logger, tls, metrics }));
  const smtpPorts: Record<string, number> = {};
  for (const l of listeners) smtpPorts[l.config.name] = await l.listen();
  await http.listen({ host: env.KOUKAN_GATEWAY_API_HOST, port: env.KOUKAN_GATEWAY_PORT });
  const httpPort = (http.server.address() as { port: number }).port;
  const advertise = env.KOUKAN_GATEWAY_ADVERTISE_URL;
  if (advertise === 'auto') {
    const host = env.KOUKAN_GATEWAY_API_HOST;
    const name = host === '0.0.0.0' || host === '::' ? ownAddress() : host;
    advertised = `http://${name.includes(':') ? `[${name}]` : name}:${httpPort}`;
  } else advertised = advertise;
  ready = true;
  logger.info(
    { httpPort, smtpPorts, router: env.KOUKAN_ROUTER_URL, advertised, pid: process.pid },
    'gateway started',
  );

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      ready = false;
      const grace = env.KOUKAN_SHUTDOWN_GRACE_MS;
      const deadline = Date.now() + grace;
      logger.info({ graceMs: grace }, 'stopping: no new connections, sessions may finish');
      await Promise.all(listeners.map((l) => l.close(grace)));
      const hadDeliveries = store.size > 0;
      while (store.inFlight > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      // a little longer, so the router's next poll still finds the outcome of the last deliveries
      if (hadDeliveries) {
        await new Promise((r) =>
          setTimeout(r, Math.max(0, Math.min(2_000, deadline - Date.now()))),
        );
      }
      pool.shutdown();
      await http.close();
      logger.info('gateway stopped');
    })();
    return stopping;
  };
  return { http, httpPort, smtpPorts, stop };
}
