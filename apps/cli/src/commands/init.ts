import { createApiKey, getSenderByName } from '@koukan/db';
import type { Logger } from 'pino';
import { bootstrap } from '../bootstrap.ts';
import { withDatabase } from '../database.ts';
import type { CliEnv } from '../env.ts';

/**
 * `koukan init`: what `koukan start` does before it starts the components, for deployments that
 * run each component on its own (the compose file's and the Kubernetes Job's migration step):
 * migrations, the configuration (KOUKAN_CONFIG at every run, else the built-in default at first
 * start), KOUKAN_SEED_API_KEY at first start, and the gateway keys its listeners present:
 * KOUKAN_SMTP_MX_API_KEY for the `smtp-mx` sender, KOUKAN_SMTP_MSA_API_KEY for `smtp-msa`.
 * Idempotent: safe to run before every rollout.
 */
export function init(env: CliEnv, logger: Logger): Promise<number> {
  return withDatabase(env, logger, async ({ db, pool }) => {
    const result = await bootstrap(db, pool, env, logger);
    const listeners = [
      ['KOUKAN_SMTP_MX_API_KEY', 'smtp-mx', 'MX'],
      ['KOUKAN_SMTP_MSA_API_KEY', 'smtp-msa', 'MSA'],
    ] as const;
    for (const [variable, sender, name] of listeners) {
      const key = env[variable];
      if (!key) continue;
      const row = await getSenderByName(db, sender);
      if (!row) {
        process.stderr.write(`${variable}: there is no ${sender} sender\n`);
        return 1;
      }
      // a gateway key (the listener's creates carry the SMTP session facts), also if it was
      // registered before as a plain key
      await createApiKey(db, { senderId: row.id, key, name, gateway: true });
      logger.info(`${variable} registered for ${sender}`);
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
  });
}
