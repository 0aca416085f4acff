import { readFileSync } from 'node:fs';
import { validateChain } from '@koukan/chain/schemas';
import {
  createApiKey,
  type Db,
  getMeta,
  getSenderByName,
  isDbError,
  migrate,
  setMetaOnce,
} from '@koukan/db';
import { importConfig } from '@koukan/db/config';
import type pg from 'pg';
import type { Logger } from 'pino';
import { defaultConfig } from './config/default-config.ts';
import type { CliEnv } from './env.ts';

interface BootstrapResult {
  firstStart: boolean;
  /** A key generated for the sandbox sender at first start: shown once, stored hashed. */
  generatedApiKey?: string;
}

const SEED_SENDERS = ['submission', 'sandbox'];

/**
 * Migrations, then configuration: the KOUKAN_CONFIG file at every start (an idempotent
 * upsert), or the built-in default at first start only; after that the database is the source
 * of truth. At first start, KOUKAN_SEED_API_KEY (or else a generated key) is registered.
 */
export async function bootstrap(
  db: Db,
  pool: pg.Pool,
  env: CliEnv,
  logger: Logger,
): Promise<BootstrapResult> {
  await migrate(pool);
  const firstStart = (await getMeta(db, 'initialized_at')) === undefined;
  const actor = 'system:config-import';
  if (env.KOUKAN_CONFIG) {
    const result = await importConfig(db, readFileSync(env.KOUKAN_CONFIG, 'utf8'), {
      actor,
      validateChain,
    });
    for (const w of result.warnings) logger.warn({ file: env.KOUKAN_CONFIG, ...w }, w.message);
    logger.info({ file: env.KOUKAN_CONFIG, ...result }, 'configuration imported');
  } else if (firstStart) {
    const gatewayUrl = env.KOUKAN_GATEWAY_URL ?? `http://127.0.0.1:${env.KOUKAN_GATEWAY_PORT}`;
    const config = defaultConfig({
      smarthost: env.KOUKAN_SMARTHOST,
      gatewayUrl,
      inboundUrl: env.KOUKAN_INBOUND_URL,
      inboundLmtp: env.KOUKAN_INBOUND_LMTP,
    });
    await importConfig(db, config, { actor });
    logger.info('default configuration imported');
  }
  const result: BootstrapResult = { firstStart };
  if (firstStart) {
    if (env.KOUKAN_SEED_API_KEY) {
      await registerSeedKey(db, env.KOUKAN_SEED_API_KEY, logger);
    } else {
      const sandbox = await getSenderByName(db, 'sandbox');
      if (sandbox) {
        result.generatedApiKey = (
          await createApiKey(db, { senderId: sandbox.id, name: 'first start' })
        ).key;
      }
    }
    await setMetaOnce(db, 'initialized_at', new Date().toISOString());
  }
  return result;
}

async function registerSeedKey(db: Db, key: string, logger: Logger): Promise<void> {
  for (const name of SEED_SENDERS) {
    const sender = await getSenderByName(db, name);
    if (!sender) {
      logger.warn({ sender: name }, 'KOUKAN_SEED_API_KEY: no such sender, key not registered');
      continue;
    }
    try {
      await createApiKey(db, { senderId: sender.id, key, name: 'KOUKAN_SEED_API_KEY' });
    } catch (err) {
      if (!isDbError(err, 'unique_violation')) throw err;
    }
  }
  logger.info({ senders: SEED_SENDERS }, 'KOUKAN_SEED_API_KEY registered');
}
