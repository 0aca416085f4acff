import { createApiKey, getSenderByName, isDbError } from '@koukan/db';
import type { Logger } from 'pino';
import { bootstrap } from '../bootstrap.ts';
import { openDatabase } from '../database.ts';
import type { CliEnv } from '../env.ts';

/**
 * `koukan init`: what `koukan start` does before it starts the components, for deployments that
 * run each component on its own (the compose file's and the Kubernetes Job's migration step):
 * migrations, the configuration (KOUKAN_CONFIG at every run, else the built-in default at first
 * start), KOUKAN_SEED_API_KEY at first start, and KOUKAN_SMTP_MX_API_KEY for the `smtp-mx`
 * sender (the gateway's MX listener presents it). Idempotent: safe to run before every rollout.
 */
export async function init(env: CliEnv, logger: Logger): Promise<number> {
  const database = await openDatabase(env, logger);
  try {
    const { db, pool } = database.handle;
    const result = await bootstrap(db, pool, env, logger);
    if (env.KOUKAN_SMTP_MX_API_KEY) {
      const mx = await getSenderByName(db, 'smtp-mx');
      if (!mx) {
        process.stderr.write('KOUKAN_SMTP_MX_API_KEY: there is no smtp-mx sender\n');
        return 1;
      }
      try {
        await createApiKey(db, { senderId: mx.id, key: env.KOUKAN_SMTP_MX_API_KEY, name: 'MX' });
        logger.info('KOUKAN_SMTP_MX_API_KEY registered for smtp-mx');
      } catch (err) {
        if (!isDbError(err, 'unique_violation')) throw err;
      }
    }
    process.stdout.write(
      `migrations applied; configuration ready (first start: ${result.firstStart})\n`,
    );
    if (result.generatedApiKey) {
      process.stdout.write(
        `API key for the "sandbox" sender (shown once, stored hashed):\n  ${result.generatedApiKey}\n`,
      );
    }
    return 0;
  } finally {
    await database.close();
  }
}
