import { randomBytes } from 'node:crypto';
import { createApiKey, type Db, getSenderByName, listApiKeys, revokeApiKey } from '@koukan/db';
import type { Logger } from 'pino';
import { bootstrap } from '../bootstrap.ts';
import {
  type InternalCredentials,
  type Running,
  selectComponents,
  spawnComponent,
} from '../components.ts';
import { openDatabase } from '../database.ts';
import type { CliEnv } from '../env.ts';
import { waitReady } from '../readiness.ts';
import { cliSecretKey, secretsKeyFile } from '../secrets-key.ts';
import { Supervisor } from '../supervisor.ts';

/**
 * `npm start`: the database (embedded unless DATABASE_URL is set), migrations, configuration,
 * then every component as a child process, supervised (see Supervisor: restarted when one dies,
 * stopped in order on SIGINT or SIGTERM). Exits 1 when a component keeps dying.
 */
export async function start(env: CliEnv, logger: Logger): Promise<number> {
  const database = await openDatabase(env, logger, { serve: true });
  const running: Running[] = [];
  let stopping: Promise<void> | undefined;
  let spawnOne: (c: ReturnType<typeof selectComponents>[number]) => Running = () => {
    throw new Error('not started');
  };
  let gaveUp: () => void = () => {};
  const failed = new Promise<number>((resolve) => {
    gaveUp = () => void stop().then(() => resolve(1));
  });
  const supervisor = new Supervisor({
    logger,
    spawn: (c) => spawnOne(c),
    graceMs: env.KOUKAN_SHUTDOWN_GRACE_MS,
    backoffMs: env.KOUKAN_RESTART_BACKOFF_MS,
    onGiveUp: () => gaveUp(),
  });
  const stop = () => {
    stopping ??= (async () => {
      logger.info('stopping');
      await supervisor.stop();
      await database.close();
    })();
    return stopping;
  };
  const stopped = new Promise<number>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => void stop().then(() => resolve(0)));
    }
  });

  try {
    const result = await bootstrap(database.handle.db, database.handle.pool, env, logger);
    const credentials = await internalCredentials(database.handle.db);
    // The secret store's key: KOUKAN_SECRETS_KEY, or the key file, made at first start (0600).
    cliSecretKey(env, true);
    const keyEnv: Record<string, string> = env.KOUKAN_SECRETS_KEY
      ? {}
      : { KOUKAN_SECRETS_KEY_FILE: secretsKeyFile(env) };
    spawnOne = (c) =>
      spawnComponent(
        c,
        { DATABASE_URL: database.url, ...keyEnv, ...c.env(env, credentials) },
        logger,
      );
    const spawn = (c: ReturnType<typeof selectComponents>[number]) => {
      const r = spawnOne(c);
      running.push(r);
      supervisor.supervise(r);
      return r;
    };
    // The router first: the gateway takes SMTP connections only once the router answers.
    const selected = selectComponents(env.KOUKAN_COMPONENTS);
    const router = selected.find((c) => c.name === 'router');
    if (router) await waitReady(spawn(router), env);
    const rest = selected.filter((c) => c !== router).map(spawn);
    // The console builds itself at its first start (next build): minutes on a small machine.
    await Promise.all(
      rest.map((r) =>
        waitReady(r, env, r.component.name === 'console' ? { timeoutMs: 30 * 60_000 } : {}),
      ),
    );
    printBanner(env, database.url, Boolean(database.embedded), running, result.generatedApiKey);
  } catch (err) {
    await stop();
    throw err;
  }

  return Promise.race([stopped, failed]);
}

function printBanner(
  env: CliEnv,
  url: string,
  embedded: boolean,
  running: Running[],
  apiKey: string | undefined,
): void {
  const lines = [
    '',
    'Koukan is running.',
    `  database   ${embedded ? `embedded PostgreSQL, data in ${env.KOUKAN_DATA_DIR}` : 'PostgreSQL (DATABASE_URL)'}`,
    `             ${redact(url)}`,
    ...running.map((r) => `  ${r.component.name.padEnd(10)} ${r.component.url(env)}`),
  ];
  if (apiKey) {
    lines.push(
      '',
      `  API key for the "sandbox" sender (shown once, stored hashed):`,
      `    ${apiKey}`,
      '  REST:  Authorization: Bearer <key>, POST /v1/senders/sandbox/transactions',
      `  SMTP:  127.0.0.1:${env.KOUKAN_SMTP_MSA_PORT}, STARTTLS, AUTH user "sandbox", password <key>`,
    );
  } else lines.push('', '  API keys: npm run koukan -- apikey create <sender>');
  lines.push('', 'Ctrl-C stops everything.', '');
  process.stdout.write(`${lines.join('\n')}\n`);
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

const MX_KEY_NAME = 'npm start: gateway MX listener';
const MSA_KEY_NAME = 'npm start: gateway MSA listener';

/**
 * A fresh gateway token and gateway keys of smtp-mx and smtp-msa for this run (only a gateway
 * key may set a transaction's session facts); the previous run's keys are revoked, so internal
 * credentials never outlive the processes that hold them.
 */
async function internalCredentials(db: Db): Promise<InternalCredentials> {
  const gatewayToken = randomBytes(24).toString('base64url');
  const gatewayKey = async (sender: string, name: string) => {
    const row = await getSenderByName(db, sender);
    if (!row) return undefined;
    for (const key of await listApiKeys(db, row.id)) {
      if (key.name === name && !key.revokedAt) await revokeApiKey(db, key.id);
    }
    return (await createApiKey(db, { senderId: row.id, name, gateway: true })).key;
  };
  const mxApiKey = await gatewayKey('smtp-mx', MX_KEY_NAME);
  const msaApiKey = await gatewayKey('smtp-msa', MSA_KEY_NAME);
  return {
    gatewayToken,
    ...(mxApiKey && { mxApiKey }),
    ...(msaApiKey && { msaApiKey }),
  };
}
