import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { CliEnv } from './env.ts';

/** Credentials `npm start` makes for the components to talk to each other. */
export interface InternalCredentials {
  /** Bearer token of the gateway's outbound API, known to the router's rest_output. */
  gatewayToken: string;
  /** A gateway key of the smtp-mx sender, for the gateway's MX listener. */
  mxApiKey?: string;
  /** A gateway key of the smtp-msa sender, for the gateway's MSA listeners (submission). */
  msaApiKey?: string;
}

export interface Component {
  name: string;
  /** TypeScript entry point, relative to the repository root. */
  entry: string;
  url: (env: CliEnv) => string;
  /** The readiness probe: `npm start` says "running" once every component answers it (< 500). */
  readyz: (env: CliEnv) => string;
  env: (env: CliEnv, credentials: InternalCredentials) => Record<string, string>;
  /** Stopping: components of a lower rank stop first (those that feed the others). */
  stopRank: number;
}

/** What `npm start` runs besides the database, each as its own process, as in production. */
export const components: Component[] = [
  {
    name: 'router',
    entry: 'apps/router/src/main.ts',
    url: (env) => `http://127.0.0.1:${env.KOUKAN_ROUTER_PORT}  (API docs: /docs)`,
    readyz: (env) => `http://127.0.0.1:${env.KOUKAN_ROUTER_PORT}/readyz`,
    // last: the gateway's SMTP sessions and deliveries need it while they drain
    stopRank: 2,
    env: (env, c) => ({
      KOUKAN_ROUTER_PORT: String(env.KOUKAN_ROUTER_PORT),
      KOUKAN_SHUTDOWN_GRACE_MS: String(env.KOUKAN_SHUTDOWN_GRACE_MS),
      // The default chains' rest_output authenticates to the gateway with these secrets.
      KOUKAN_SECRET_GATEWAY: c.gatewayToken,
      KOUKAN_SECRET_INBOUND: c.gatewayToken,
      // KOUKAN_INBOUND_URL's receiving application (its own token, never the gateway's).
      ...(env.KOUKAN_INBOUND_TOKEN && { KOUKAN_SECRET_RECEIVER: env.KOUKAN_INBOUND_TOKEN }),
    }),
  },
  {
    name: 'gateway',
    entry: 'apps/gateway/src/main.ts',
    url: (env) =>
      `http://127.0.0.1:${env.KOUKAN_GATEWAY_PORT}  (SMTP MX ${env.KOUKAN_SMTP_MX_PORT}, MSA ${env.KOUKAN_SMTP_MSA_PORT})`,
    readyz: (env) => `http://127.0.0.1:${env.KOUKAN_GATEWAY_PORT}/readyz`,
    stopRank: 1,
    env: (env, c) => ({
      KOUKAN_GATEWAY_PORT: String(env.KOUKAN_GATEWAY_PORT),
      KOUKAN_SHUTDOWN_GRACE_MS: String(env.KOUKAN_SHUTDOWN_GRACE_MS),
      KOUKAN_ROUTER_URL: `http://127.0.0.1:${env.KOUKAN_ROUTER_PORT}`,
      KOUKAN_GATEWAY_TOKEN: c.gatewayToken,
      ...(c.mxApiKey && { KOUKAN_SMTP_MX_API_KEY: c.mxApiKey }),
      ...(c.msaApiKey && { KOUKAN_SMTP_MSA_API_KEY: c.msaApiKey }),
      // KOUKAN_INBOUND_LMTP: the default smtp-mx-output leaves the next hop to the gateway.
      ...(env.KOUKAN_INBOUND_LMTP && {
        KOUKAN_OUTBOUND_DEFAULT_NEXT_HOP: `lmtp://${env.KOUKAN_INBOUND_LMTP}`,
      }),
    }),
  },
  {
    name: 'console',
    entry: 'apps/console/src/main.ts',
    url: (env) =>
      `http://127.0.0.1:${env.KOUKAN_CONSOLE_PORT}  (first start: builds, then prints the admin's sign-in)`,
    readyz: (env) => `http://127.0.0.1:${env.KOUKAN_CONSOLE_PORT}/api/readyz`,
    stopRank: 1,
    env: (env) => ({
      KOUKAN_CONSOLE_PORT: String(env.KOUKAN_CONSOLE_PORT),
      // The console keeps its generated session secret beside the embedded database.
      KOUKAN_DATA_DIR: env.KOUKAN_DATA_DIR,
    }),
  },
];

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The components that exist in this checkout, narrowed by KOUKAN_COMPONENTS. */
export function selectComponents(selection: string): Component[] {
  const wanted =
    selection === 'all' ? undefined : new Set(selection === 'none' ? [] : selection.split(','));
  return components.filter(
    (c) => (wanted ? wanted.has(c.name) : true) && existsSync(repoRoot + c.entry),
  );
}

export interface Running {
  component: Component;
  child: ChildProcess;
  exited: Promise<number | null>;
}

export function spawnComponent(
  component: Component,
  extraEnv: Record<string, string>,
  logger: Logger,
): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', repoRoot + component.entry], {
    cwd: repoRoot,
    env: { ...process.env, ...extraEnv },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => {
      logger.info({ component: component.name, code, signal }, 'component exited');
      resolve(code);
    }),
  );
  return { component, child, exited };
}

/** SIGTERM, then SIGKILL after `graceMs` (the component's own grace and some). */
export async function stopComponent(
  running: Running,
  graceMs: number,
  logger?: Logger,
): Promise<void> {
  if (running.child.exitCode !== null || running.child.signalCode !== null) return;
  running.child.kill('SIGTERM');
  const timer = setTimeout(() => {
    logger?.warn({ component: running.component.name, graceMs }, 'not stopped in time: SIGKILL');
    running.child.kill('SIGKILL');
  }, graceMs);
  await running.exited;
  clearTimeout(timer);
}
