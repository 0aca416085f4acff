import { randomBytes } from 'node:crypto';
import { createApiKey, type Db, getSenderByName, listApiKeys, revokeApiKey } from '@koukan/db';
import type { Logger } from 'pino';
import { bootstrap } from '../bootstrap.ts';
import {
  type InternalCredentials,
  type Running,
  selectComponents,
  spawnComponent,
  stopComponent,
} from '../components.ts';
import { openDatabase } from '../database.ts';
import type { CliEnv } from '../env.ts';
import { cliSecretKey, secretsKeyFile } from '../secrets-key.ts';

/**
 * `npm start`: the database (embedded unless DATABASE_URL is set), migrations, configuration,
 * then every component as a child process. Stops everything cleanly on SIGINT or SIGTERM, and
 * when any component dies.
 */
export async function start(env: CliEnv, logger: Logger): Promise<number> {
  const database = await openDatabase(env, logger, { serve: true });
  let running: Running[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info('stopping');
      await Promise.all(running.map((r) => stopComponent(r)));
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
    running = selectComponents(env.KOUKAN_COMPONENTS).map((c) =>
      spawnComponent(
        c,
        { DATABASE_URL: database.url, ...keyEnv, ...c.env(env, credentials) },
        logger,
      ),
    );
    printBanner(env, database.url, Boolean(database.embedded), running, result.generatedApiKey);
  } catch (err) {
    await stop();
    throw err;
  }

  const crashed = Promise.race(
    running.map((r) => r.exited.then((code) => ({ name: r.component.name, code }))),
  ).then(async ({ name, code }) => {
    if (stopping) return 0;
    logger.error({ component: name, code }, 'a component exited; stopping everything');
    await stop();
    return 1;
  });
  return running.length ? Promise.race([stopped, crashed]) : stopped;
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

const INTERNAL_KEY_NAME = 'npm start: gateway MX listener';

/**
 * A fresh gateway token and smtp-mx key for this run; the previous run's key is revoked, so
 * internal credentials never outlive the processes that hold them.
 */
async function internalCredentials(db: Db): Promise<InternalCredentials> {
  const gatewayToken = randomBytes(24).toString('base64url');
  const mx = await getSenderByName(db, 'smtp-mx');
  if (!mx) return { gatewayToken };
  for (const key of await listApiKeys(db, mx.id)) {
    if (key.name === INTERNAL_KEY_NAME && !key.revokedAt) await revokeApiKey(db, key.id);
  }
  const { key } = await createApiKey(db, { senderId: mx.id, name: INTERNAL_KEY_NAME });
  return { gatewayToken, mxApiKey: key };
}
