import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startHarness } from './harness.ts';
import type { StackInfo } from './info.ts';
import { freePort, type Proc, runNode, spawnNode, waitReady } from './process.ts';
import { startLmtp, startSink } from './sink.ts';

const cli = 'apps/cli/src/main.ts';
/** `next build` on a loaded 2-core machine takes minutes. */
const CONSOLE_READY_MS = 15 * 60_000;
const READY_MS = 3 * 60_000;

/** A key of the form the API accepts: kk_<10 letters/digits>_<43 base64url>. */
function apiKey(): string {
  const id = randomBytes(16).toString('hex').slice(0, 10);
  return `kk_${id}_${randomBytes(32).toString('base64url').slice(0, 43)}`;
}

/** A fresh database on the server of `serverUrl`, dropped by the returned function. */
async function createDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `koukan_e2e_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * The stack of compose.yaml as processes on this machine's PostgreSQL: `koukan init`, two
 * routers, a gateway, the console, the example receiver; plus the e2e SMTP sink (the smarthost:
 * "the internet") and an LMTP server. Returns the stack's description and its teardown.
 */
export async function startProcessStack(
  serverUrl: string,
): Promise<{ info: StackInfo; stop(): Promise<void> }> {
  const procs: Proc[] = [];
  const database = await createDatabase(serverUrl);
  const sink = await startSink();
  const lmtp = await startLmtp();
  const receiverLines: unknown[] = [];
  const harness = await startHarness({
    sink,
    lmtp,
    receiverMessages: async () => receiverLines,
  });
  const stop = async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await Promise.all([sink.close(), lmtp.close()]);
    await new Promise<void>((r) => harness.server.close(() => r()));
    await database.drop();
  };
  try {
    const ports = {
      routers: [await freePort(), await freePort()],
      gateway: await freePort(),
      mx: await freePort(),
      msa: await freePort(),
      console: await freePort(),
      receiver: await freePort(),
    };
    const secrets = {
      gateway: randomBytes(24).toString('base64url'),
      receiver: randomBytes(24).toString('base64url'),
      secretsKey: randomBytes(32).toString('base64'),
      apiKey: apiKey(),
      auth: randomBytes(32).toString('base64url'),
      admin: { email: 'admin@e2e.localhost', password: randomBytes(12).toString('base64url') },
    };
    const common = {
      DATABASE_URL: database.url,
      KOUKAN_SECRETS_KEY: secrets.secretsKey,
      LOG_LEVEL: 'info',
    };
    const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
    // the gateway's listener keys, registered by `koukan init` as compose.yaml's are
    const keys = { mx: apiKey(), msa: apiKey() };
    await runNode('init', cli, ['init'], {
      ...common,
      KOUKAN_GATEWAY_URL: gatewayUrl,
      KOUKAN_SMARTHOST: `127.0.0.1:${sink.port}`,
      KOUKAN_INBOUND_URL: `http://127.0.0.1:${ports.receiver}`,
      KOUKAN_SEED_API_KEY: secrets.apiKey,
      KOUKAN_SMTP_MX_API_KEY: keys.mx,
      KOUKAN_SMTP_MSA_API_KEY: keys.msa,
    });

    // The console first: its build is the slow part, the rest starts meanwhile.
    const consoleUrl = `http://127.0.0.1:${ports.console}`;
    const consoleProc = spawnNode('console', cli, ['console'], {
      ...common,
      KOUKAN_CONSOLE_PORT: String(ports.console),
      BETTER_AUTH_SECRET: secrets.auth,
      KOUKAN_ADMIN_EMAIL: secrets.admin.email,
      KOUKAN_ADMIN_PASSWORD: secrets.admin.password,
      // the live timeline's polling fallback, quicker than the default for the tests
      KOUKAN_CONSOLE_POLL_MS: '500',
      // tests/sign-in-limit.spec.ts plays a reverse proxy from this address
      KOUKAN_CONSOLE_TRUSTED_PROXIES: '127.0.0.250',
    });
    procs.push(consoleProc);
    const receiver = spawnNode(
      'receiver',
      'examples/receiver/src/main.ts',
      [],
      { RECEIVER_PORT: String(ports.receiver), RECEIVER_TOKEN: secrets.receiver },
      (line) => {
        if (line.startsWith('{')) receiverLines.push(JSON.parse(line));
      },
    );
    procs.push(receiver);
    const routers = ports.routers.map((port, i) =>
      spawnNode(`router-${i + 1}`, cli, ['router'], {
        ...common,
        KOUKAN_ROUTER_PORT: String(port),
        KOUKAN_HOSTNAME: `router-${i + 1}.e2e.localhost`,
        KOUKAN_DB_POOL_SIZE: '4',
        KOUKAN_SECRET_GATEWAY: secrets.gateway,
        KOUKAN_SECRET_INBOUND: secrets.gateway,
        KOUKAN_SECRET_RECEIVER: secrets.receiver,
      }),
    );
    procs.push(...routers);
    await Promise.all([
      waitReady(`http://127.0.0.1:${ports.receiver}/healthz`, receiver, READY_MS),
      ...routers.map((r, i) =>
        waitReady(`http://127.0.0.1:${ports.routers[i]}/readyz`, r, READY_MS),
      ),
    ]);
    const gateway = spawnNode('gateway', cli, ['gateway'], {
      LOG_LEVEL: 'info',
      KOUKAN_ROUTER_URL: `http://127.0.0.1:${ports.routers[0]}`,
      KOUKAN_GATEWAY_PORT: String(ports.gateway),
      KOUKAN_GATEWAY_TOKEN: secrets.gateway,
      KOUKAN_SMTP_HOSTNAME: 'mx.e2e.localhost',
      KOUKAN_SMTP_MX_PORT: String(ports.mx),
      KOUKAN_SMTP_MSA_PORT: String(ports.msa),
      KOUKAN_SMTP_MX_API_KEY: keys.mx,
      KOUKAN_SMTP_MSA_API_KEY: keys.msa,
      KOUKAN_SMTP_GREET_PAUSE_MS: '0',
      // inbound mail whose chain sends no next hop (smtp-mx-output pointed at LMTP) goes here
      KOUKAN_OUTBOUND_DEFAULT_NEXT_HOP: `lmtp://127.0.0.1:${lmtp.port}`,
    });
    procs.push(gateway);
    await waitReady(`${gatewayUrl}/readyz`, gateway, READY_MS);
    await waitReady(`${consoleUrl}/api/readyz`, consoleProc, CONSOLE_READY_MS);
    return {
      info: {
        mode: 'processes',
        routers: ports.routers.map((p) => `http://127.0.0.1:${p}`),
        smtp: { host: '127.0.0.1', mx: ports.mx, msa: ports.msa },
        gatewayApi: gatewayUrl,
        console: consoleUrl,
        harness: harness.url,
        apiKey: secrets.apiKey,
        admin: secrets.admin,
        databaseUrl: database.url,
      },
      stop,
    };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}
